"""Blobs in a local folder (the embedded default): written atomically, read back by the app."""

from __future__ import annotations

import mimetypes
import os
import tempfile
from pathlib import Path

from sunday_mining.domain.errors import BlobStoreUnavailable, ValidationError
from sunday_mining.ports.blobs import PROBE_KEY, REPORTS_PREFIX, Blob, BlobStore, valid_key


class FolderBlobs(BlobStore):
    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def where(self) -> str:
        return str(self._root)

    def path_of(self, key: str) -> Path:
        """The file of ``key``; the bucket's ``reports/`` prefix is the folder itself."""
        if not valid_key(key):
            raise ValidationError("That is not a report file name.")
        return self._root / key.removeprefix(REPORTS_PREFIX)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        del content_type  # the file's extension says it
        path = self.path_of(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp).replace(path)  # readers see the old file or the new one, never half
        except OSError as error:
            raise BlobStoreUnavailable(
                f"The reports folder is not writable ({error.strerror})."
            ) from None

    def get(self, key: str) -> Blob | None:
        path = self.path_of(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise BlobStoreUnavailable(
                f"The reports folder is not readable ({error.strerror})."
            ) from None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Blob(data, content_type)

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def check_writable(self) -> None:
        """Write and remove a probe file; a folder not made yet is not made here (a health
        check only looks): the nearest folder that exists must let the app make it."""
        if not self._root.exists():
            parent = next((p for p in self._root.parents if p.is_dir()), Path("/"))
            if not os.access(parent, os.W_OK | os.X_OK):
                raise BlobStoreUnavailable(f"The reports folder can't be made in {parent}.")
            return
        self.put(PROBE_KEY, b"ok", "text/plain")
        self.path_of(PROBE_KEY).unlink(missing_ok=True)
