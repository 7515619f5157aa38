"""Where the bank lives and who is studying: ``--db``/``QUIZKIT_DB``, ``QUIZKIT_LEARNER``."""

from __future__ import annotations

import getpass
import os
from pathlib import Path


def default_db_path() -> Path:
    """The default bank: ``quizkit.sqlite3`` in the user data dir (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("quizkit", appauthor=False)) / "quizkit.sqlite3"


def resolve_db(option: str | None) -> str:
    """The database the user chose: ``--db``, else ``QUIZKIT_DB``, else the default file."""
    value = option or os.environ.get("QUIZKIT_DB")
    if value:
        return value
    return str(default_db_path())


def default_learner() -> str:
    """``QUIZKIT_LEARNER``, else the OS user name."""
    name = os.environ.get("QUIZKIT_LEARNER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): still a usable name
        return "learner"
