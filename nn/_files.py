"""Writing a file atomically: the one place nn writes files (weights, ONNX models).

The bytes go to a temporary file in the target's directory, are flushed to disk, and the file
then replaces the target in one ``os.replace``: a crash or an error midway leaves the old file
(or no file) and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from typing import IO

__all__ = ["write_atomically"]


def write_atomically(owner: str, path: str | os.PathLike, write: Callable[[IO[bytes]], None]
                     ) -> str:
    """Call ``write(file)`` on a temporary file next to ``path``, then move it to ``path``.

    Returns ``path`` as a str. A directory that does not exist is a FileNotFoundError naming
    ``owner`` and the directory; any error from ``write`` removes the temporary file and
    leaves an existing ``path`` untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{owner}: the directory {directory} does not exist (create it "
                                f"first, to write {os.path.basename(path)} there)")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        _give_file_mode(tmp, path)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _give_file_mode(tmp: str, path: str) -> None:
    """mkstemp makes the file private (0600); give it what ``open(path, "w")`` would: the
    replaced file's permissions, else 0666 less the umask (read from /proc: ``os.umask`` would
    change it for every thread for a moment). Where neither is known, or chmod is refused, it
    stays 0600."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = None
        with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    mode = 0o666 & ~int(line.split()[1], 8)
    if mode is not None:
        with contextlib.suppress(OSError):  # a filesystem without permissions (vfat, CIFS)
            os.chmod(tmp, mode)
