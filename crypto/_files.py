"""Private-file helpers for the key directory: 0700 directory, 0600 files, atomic writes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from crypto.errors import KeyStoreError

DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
_LOOSE_BITS: Final = 0o077


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes) -> None:
    # O_EXCL never follows or replaces an existing file; 0600 before any byte is written.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may only have removed bits; make it exact
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def create_private(path: Path, data: bytes) -> None:
    """Create a new 0600 file; fail if anything already exists at `path`."""
    _write_new(path, data)
    _fsync_dir(path.parent)


def replace_private(path: Path, data: bytes) -> None:
    """Atomically replace `path` with a new 0600 file holding `data`."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    _write_new(tmp, data)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def read_private(path: Path) -> bytes:
    """Read a regular file that only its owner may read, or raise KeyStoreError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise KeyStoreError(f"missing key file: {path}") from None
    except OSError as exc:
        raise KeyStoreError(f"cannot open key file {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyStoreError(f"not a regular file: {path}")
        if info.st_mode & _LOOSE_BITS:
            mode = oct(stat.S_IMODE(info.st_mode))
            raise KeyStoreError(f"{path} is open to group or others ({mode}); chmod 600 it")
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    finally:
        os.close(fd)


def check_private_dir(path: Path) -> None:
    """Raise KeyStoreError unless `path` is a directory closed to group and others."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        raise KeyStoreError(f"key directory not found: {path} (run `ccop keys init`)") from None
    if not stat.S_ISDIR(info.st_mode):
        raise KeyStoreError(f"key directory is not a directory: {path}")
    if info.st_mode & _LOOSE_BITS:
        mode = oct(stat.S_IMODE(info.st_mode))
        raise KeyStoreError(f"key directory {path} is open to group or others ({mode})")


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) as an empty 0700 directory, or accept an empty one."""
    if path.exists() or path.is_symlink():
        if not path.is_dir() or path.is_symlink() or any(path.iterdir()):
            raise KeyStoreError(f"refusing to overwrite existing key directory: {path}")
    else:
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        path.mkdir(mode=DIR_MODE)
    os.chmod(path, DIR_MODE)


def inside_git_worktree(path: Path) -> bool:
    """Return True when `path` or one of its parents holds a `.git` entry."""
    resolved = path.resolve()
    return any((folder / ".git").exists() for folder in (resolved, *resolved.parents))


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on the directory's `.lock` file."""
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
