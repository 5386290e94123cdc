"""Writing and reading stored data safely: atomic writes, content digests, file locks.

Every stored file (result frame, provenance record, channel set, checkpoint) is written to
a temporary file in the same folder and renamed into place, so a reader never sees half a
file and an interrupted write leaves the previous file intact. Each record carries the
SHA-256 of the files it describes; :func:`verify` checks them before a file is served.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

__all__ = ["atomic_path", "write_json", "file_digest", "verify", "read_checked", "lock", "StoreError"]


class StoreError(ValueError):
    """A stored file is missing, corrupt, or does not match its record."""


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temp(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _new_temp(path: Path) -> Path:
    """Create an empty, uniquely named file beside ``path`` with the mode any new file gets.

    Opened with ``O_CREAT | O_EXCL`` and mode 0o666, so the kernel applies the process's umask
    (``mkstemp`` would make it 0600, and reading the umask means setting it process-wide).
    """
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


def write_json(path: Path | str, data: dict) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")


def file_digest(path: Path | str) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path | str, expected: str | None, heal: str, record: Path | str | None = None) -> None:
    """Raise :class:`StoreError` unless ``path`` exists and has digest ``expected``.

    ``heal`` is the command that recomputes the file; it ends the message. ``record`` is
    the file that should hold ``expected``: named in the message when it is missing.
    """
    path = Path(path)
    if expected is None:
        if record is not None and not Path(record).exists():
            raise StoreError(f"{path.name} has no record: {Path(record).name} is missing; "
                             f"recompute it: {heal}")
        raise StoreError(f"{path.name} has no content hash in its record (written by an older "
                         f"version); recompute it: {heal}")
    if not path.exists():
        raise StoreError(f"{path.name} is missing; recompute it: {heal}")
    if file_digest(path) != expected:
        raise StoreError(f"{path.name} does not match the hash in its record (edited, truncated "
                         f"or swapped); recompute it: {heal}")


def lock(path: Path | str, timeout: float = -1) -> FileLock:
    """An inter-process lock on ``path`` (a ``.lock`` file beside it); ``timeout`` < 0 waits."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path) + ".lock", timeout=timeout)


def read_checked(path: Path | str, expected: str | None, heal: str, reader: Callable):
    """``reader(path)`` after :func:`verify`; a reader error becomes a :class:`StoreError`."""
    verify(path, expected, heal)
    try:
        return reader(path)
    except Exception as exc:  # corrupt content that still matches a (bad) record
        raise StoreError(f"{Path(path).name} cannot be read ({exc}); recompute it: {heal}") from exc
