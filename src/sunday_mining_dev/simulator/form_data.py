"""A small ``multipart/form-data`` reader for the sink's file uploads.

Written here rather than relying on python-multipart (not a dependency of this project); it keeps
every byte of each part exactly, which is the point when a test compares stored files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PARAM_RE = re.compile(r';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class FormData:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)


def file_index(field_name: str, position: int) -> str:
    """The id a part pairs with in ``payload_json.attachments``: ``files[3]`` is 3; a part named
    otherwise (a bare ``file``) goes by its position."""
    inner = field_name.partition("[")[2].rstrip("]")
    return inner if field_name.startswith("files[") and inner.isdigit() else str(position)


def header_params(value: str) -> dict[str, str]:
    """``form-data; name="a"; filename="b.pdf"`` → ``{"name": "a", "filename": "b.pdf"}``."""
    params: dict[str, str] = {}
    for match in _PARAM_RE.finditer(";" + value.split(";", 1)[1] if ";" in value else ""):
        quoted, bare = match.group(2), match.group(3)
        params[match.group(1).lower()] = (
            re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        )
    return params


def parse_multipart(content_type: str, body: bytes) -> FormData:
    boundary = header_params(content_type).get("boundary")
    if not boundary:
        raise ValueError("multipart body without a boundary")
    form = FormData()
    # Each part is introduced by CRLF "--boundary"; prefixing a CRLF lets the first one match too.
    for segment in (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))[1:]:
        if segment.startswith(b"--"):
            break
        head, _, data = segment.partition(b"\r\n\r\n")
        _add_part(form, _headers(head), data)
    return form


def _headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _add_part(form: FormData, headers: dict[str, str], data: bytes) -> None:
    params = header_params(headers.get("content-disposition", ""))
    name = params.get("name", "")
    if "filename" in params:
        content_type = headers.get("content-type", "application/octet-stream")
        form.files.append(UploadedFile(name, params["filename"], content_type, data))
    else:
        form.fields[name] = data.decode("utf-8")
