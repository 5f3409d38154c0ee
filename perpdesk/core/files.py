"""Files that hold users' data (databases, logs, keys, caught mail) are the owner's alone:
directories 0700, files 0600, whatever the process umask."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> None:
    """Create `path` empty if missing (never readable by others, even for an instant); make it 0600.

    An existing file is never opened: closing any descriptor of a file drops every POSIX lock this
    process holds on it, and SQLite's locks on its database are exactly such locks (SQLite's
    "How To Corrupt", 2.2). Only a file that did not exist, which nothing here can hold, is opened."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    os.chmod(path, PRIVATE_FILE)  # by path: no descriptor, so no lock is touched


def chmod_private(*paths: Path) -> None:
    """0600 for each of `paths` that exists (a database's -wal/-shm/-journal files come and go)."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, PRIVATE_FILE)


def write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def private_sqlite(path: str | Path) -> None:
    """Before SQLite opens `path`: the file exists 0600, so the -wal, -shm and -journal files SQLite
    makes beside it copy that mode; existing ones (from an older install) are made 0600 too."""
    text = str(path)
    if not text or text == ":memory:" or text.startswith("file:"):
        return
    db = Path(text)
    if not db.parent.exists():
        private_dir(db.parent)
    private_file(db)
    chmod_private(*(Path(text + suffix) for suffix in ("-wal", "-shm", "-journal")))
