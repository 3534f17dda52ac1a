"""An on-disk, append-only spool of batches: JSON lines, fsynced, replayed in order.

Layout of the spool directory:
- ``batches.jsonl``: one line per batch, ``{"id": n, "batch": {...}}``, ids increasing;
- ``acked``: the id of the last batch the app answered (replaced atomically).

Batches leave the spool only from the head, in order, after a 200 (or a 400, which can never
succeed), so "acked up to n" is the whole removal record. Kill -9 at any moment loses nothing
that ``append`` returned for: a torn last line can only be a batch whose append never returned,
and it is skipped and cut off when the spool is opened again. A batch answered but not yet marked
acked is sent again, and the app answers it as a duplicate.

All file I/O runs in a thread (``asyncio.to_thread``) so the event loop never waits on a disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sunday_mining.ports.worker_protocol import encode

log = logging.getLogger("sunday_mining.worker.spool")

DATA_FILE = "batches.jsonl"
ACKED_FILE = "acked"
# Rewrite the data file once this many acked lines sit at its head (they are skipped anyway).
_COMPACT_AFTER = 1000


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    id: int
    batch: dict[str, Any]


class Spool:
    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._data = directory / DATA_FILE
        self._acked_path = directory / ACKED_FILE
        self._pending: deque[SpoolEntry] = deque()
        self._acked = 0
        self._next_id = 1
        self._dead_lines = 0
        self._fd: int | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, directory: Path) -> Spool:
        spool = cls(directory)
        await asyncio.to_thread(spool._load)
        return spool

    def __len__(self) -> int:
        return len(self._pending)

    def head(self) -> SpoolEntry | None:
        return self._pending[0] if self._pending else None

    def pending(self) -> list[SpoolEntry]:
        return list(self._pending)

    async def append(self, batch: dict[str, Any]) -> SpoolEntry:
        return (await self.append_many([batch]))[0]

    async def append_many(self, batches: Iterable[dict[str, Any]]) -> list[SpoolEntry]:
        """Write the batches in order with one fsync; they are durable when this returns."""
        async with self._lock:
            entries = []
            for batch in batches:
                entries.append(SpoolEntry(self._next_id, batch))
                self._next_id += 1
            if not entries:
                return []
            data = b"".join(encode({"id": e.id, "batch": e.batch}) + b"\n" for e in entries)
            await asyncio.to_thread(self._write, data)
            self._pending.extend(entries)
            return entries

    async def ack(self, entry_id: int) -> None:
        """Remove the head batch, whose id must be ``entry_id``: removal is in order only."""
        async with self._lock:
            head = self.head()
            if head is None or head.id != entry_id:
                raise ValueError(f"spool entry {entry_id} is not the head of the spool")
            self._pending.popleft()
            self._acked = entry_id
            self._dead_lines += 1
            empty = not self._pending
            compact = not empty and self._dead_lines >= _COMPACT_AFTER
            pending = list(self._pending) if compact else []
            await asyncio.to_thread(self._persist_ack, entry_id, empty, pending, compact)
            if empty or compact:
                self._dead_lines = 0

    async def close(self) -> None:
        async with self._lock:
            if self._fd is not None:
                await asyncio.to_thread(os.close, self._fd)
                self._fd = None

    # --- blocking helpers, run in a thread ----------------------------------------------------

    def _load(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        self._acked = _read_acked(self._acked_path)
        entries, dropped = _read_entries(self._data, self._acked)
        self._pending = deque(entries)
        last = entries[-1].id if entries else 0
        self._next_id = max(self._acked, last) + 1
        if dropped:
            # Cut the acked head and any torn line, so appends never glue onto a fragment.
            self._rewrite(entries)
        self._fd = _open_append(self._data)
        if entries:
            log.info("spool replay", extra={"pending": len(entries), "first_id": entries[0].id})

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise RuntimeError("the spool is closed")
        end = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            os.fsync(self._fd)
        except OSError:
            # A disk-full or I/O error mid-line: cut the fragment so later lines stay whole.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, end)
            raise

    def _persist_ack(
        self, entry_id: int, empty: bool, pending: list[SpoolEntry], compact: bool
    ) -> None:
        _atomic_write(self._acked_path, str(entry_id).encode())
        if empty and self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
        elif compact:
            self._rewrite(pending)

    def _rewrite(self, entries: list[SpoolEntry]) -> None:
        data = b"".join(encode({"id": e.id, "batch": e.batch}) + b"\n" for e in entries)
        _atomic_write(self._data, data)
        if self._fd is not None:
            # The old descriptor points at the replaced file; appends must go to the new one.
            os.close(self._fd)
            self._fd = _open_append(self._data)


def _read_acked(path: Path) -> int:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return 0
    if not text.isdigit():
        log.warning("spool cursor unreadable; replaying everything (the app skips duplicates)")
        return 0
    return int(text)


def _read_entries(path: Path, acked: int) -> tuple[list[SpoolEntry], int]:
    """The unacked entries in order, and how many lines were acked, torn or unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    entries: list[SpoolEntry] = []
    dropped = 0
    lines = raw.split(b"\n")
    torn = lines.pop()  # b"" when the file ends with a newline, as every complete append does
    if torn:
        dropped += 1
        log.warning("spool: skipped a torn last line", extra={"bytes": len(torn)})
    for line in lines:
        entry = _parse(line)
        if entry is None:
            dropped += 1
            log.warning("spool: skipped an unreadable line", extra={"bytes": len(line)})
        elif entry.id <= acked or (entries and entry.id <= entries[-1].id):
            dropped += 1
        else:
            entries.append(entry)
    return entries, dropped


def _parse(line: bytes) -> SpoolEntry | None:
    try:
        item = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(item, dict):
        return None
    entry_id, batch = item.get("id"), item.get("batch")
    if not isinstance(entry_id, int) or not isinstance(batch, dict):
        return None
    return SpoolEntry(entry_id, batch)


def _open_append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def _atomic_write(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
