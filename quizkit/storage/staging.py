"""A new SQLite bank built under a temporary name and published whole, or not at all.

``quizkit compile`` into a bank file that does not exist yet stores chapters
while later ones still compile (``quizkit.loader.compile_into_new_bank``).  The
cards go into ``<bank>.partial-<pid>`` next to the bank; only a complete,
committed bank is given the real name, with a hard link that never replaces a
file.  A compile that fails removes the partial file (and any folder it made),
so the bank was never created, as when nothing is streamed; one that is killed
leaves it, and the next compile into that bank removes it (``remove_abandoned``).  Until it is
published the file is private, so it is written without a write-ahead log and
without syncs, and synced once before it is linked.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from quizkit.errors import DatabaseError
from quizkit.storage.readers import sqlite_file

if TYPE_CHECKING:  # the storage code loads when the bank is opened (off the fork path)
    from quizkit.storage.bank import Bank

_SIDE_FILES = ("-wal", "-shm", "-journal")
# A compile writes its partial file all the time; one untouched this long, whose process
# is gone, was left by a compile that was killed.
ABANDONED_AFTER = 600.0  # seconds


class NewBank:
    """The bank that will be at ``final``, written at ``staged`` until :meth:`publish`."""

    def __init__(self, final: Path, learner: str) -> None:
        self.final = final
        self.learner = learner
        self.staged = final.with_name(f"{final.name}.partial-{os.getpid()}")
        self._bank: Bank | None = None
        self._made_dirs: list[Path] = []  # folders created for the bank, deepest first

    @classmethod
    def for_target(cls, target: str, learner: str) -> NewBank | None:
        """A staged bank for ``target`` if it names a SQLite file that does not exist yet."""
        path = sqlite_file(target)
        if path is None or str(path) in ("", ":memory:") or path.exists() or path.is_symlink():
            return None
        return cls(path, learner)

    def open(self) -> Bank:
        """The staged bank (created, with the current schema, on the first call)."""
        if self._bank is None:
            from quizkit.storage.bank import open_bank

            missing = [p for p in (self.final.parent, *self.final.parent.parents) if not p.exists()]
            try:
                self.final.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"{self.final}: cannot create database folder: {exc.strerror}") from None
            self._made_dirs = missing
            self._remove_staged()  # left by a killed process that had our pid
            remove_abandoned(self.final)
            try:
                self._bank = open_bank(str(self.staged), learner=self.learner, private=True)
            except DatabaseError as exc:  # name the bank the user asked for, not our temporary file
                raise DatabaseError(exc.message.replace(str(self.staged), str(self.final))) from None
        return self._bank

    def publish(self) -> None:
        """Give the complete bank its real name; the staged name goes away."""
        self.open().close()
        self._bank = None
        # The private bank was written without syncs (storage/db.py): sync it once, now,
        # before it gets its name.  quizkit turns the write-ahead log on when it opens it.
        fd = os.open(self.staged, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(self.staged, self.final)
        except FileExistsError:
            self._taken()
        except OSError:  # a file system without hard links: rename, unless the name was taken
            if self.final.exists():
                self._taken()
            os.replace(self.staged, self.final)
        self._remove_staged()
        _sync_folder(self.final.parent)

    def _taken(self) -> NoReturn:
        self._remove_staged()
        raise DatabaseError(
            f"{self.final}: another process created this bank during the compile; "
            "nothing was stored, run the compile again"
        )

    def discard(self) -> None:
        """Forget the staged bank: remove its files and any folder made for it."""
        if self._bank is not None:
            self._bank.close()
            self._bank = None
        self._remove_staged()
        for folder in self._made_dirs:
            with contextlib.suppress(OSError):  # not empty (someone else's files): keep it
                folder.rmdir()
        self._made_dirs = []

    def _remove_staged(self) -> None:
        _unlink_with_side_files(self.staged)


def remove_abandoned(final: Path, *, now: float | None = None) -> list[Path]:
    """Remove partial files of ``final`` left by killed compiles; return what was removed.

    A partial file is abandoned when the process named in it no longer exists here and
    the file has not changed for :data:`ABANDONED_AFTER` seconds (a process of another
    PID namespace sharing the folder keeps writing its file, so it is never taken).
    """
    moment = time.time() if now is None else now
    removed: list[Path] = []
    prefix = f"{final.name}.partial-"
    try:
        candidates = [p for p in final.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for path in candidates:
        pid = path.name[len(prefix) :]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue  # a side file (-wal, -shm, -journal) goes with its partial file below
        try:
            if moment - path.stat().st_mtime < ABANDONED_AFTER:
                continue
        except OSError:
            continue
        _unlink_with_side_files(path)
        removed.append(path)
    return removed


def _unlink_with_side_files(path: Path) -> None:
    for suffix in ("", *_SIDE_FILES):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, and is someone else's
        return True
    return True


def _sync_folder(folder: Path) -> None:
    """Make the new name durable (POSIX: sync the folder holding it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # not supported for folders here
    finally:
        os.close(fd)
