"""The clock and the learner's study day; ``QUIZKIT_NOW`` fixes time for tests.

Pure helpers take ``now`` as an argument; only :func:`now` reads the
environment or the system clock.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

from quizkit.errors import InputError

DEFAULT_DAY_START_HOUR = 4


def now(env: dict[str, str] | None = None) -> datetime:
    """Current time, aware; ``QUIZKIT_NOW`` (ISO-8601) overrides the system clock.

    A ``QUIZKIT_NOW`` without an offset is taken as local time.
    """
    env = os.environ if env is None else env  # type: ignore[assignment]
    fixed = env.get("QUIZKIT_NOW") if env else None
    if fixed:
        try:
            value = datetime.fromisoformat(fixed.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"QUIZKIT_NOW is not an ISO-8601 date/time: {fixed!r}") from None
        if value.tzinfo is None:
            value = value.astimezone()  # naive: local wall time
        return value
    return datetime.now(UTC).astimezone()


def study_day(moment: datetime, day_start_hour: int = DEFAULT_DAY_START_HOUR) -> date:
    """The study day ``moment`` belongs to: days start at ``day_start_hour`` local time.

    Like Anki's "next day starts at": a review at 01:30 still counts for the
    previous day.  ``moment`` is interpreted in its own time zone (the
    learner's local zone when it comes from :func:`now`).
    """
    if not 0 <= day_start_hour <= 23:
        raise InputError(f"day start hour must be 0-23, not {day_start_hour}")
    return (moment - timedelta(hours=day_start_hour)).date()


def to_utc(moment: datetime) -> datetime:
    """Aware UTC datetime for storage (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
