"""When a case waited on the customer, read from its status history; pure (no Django)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None  # None: still waiting


def pause_periods(changes: list[tuple[datetime, str, str]], waiting: str) -> list[Pause]:
    """The periods spent in the ``waiting`` status, oldest first, from the status changes
    ``(at, from_status, to_status)`` in the order they happened; the last is open-ended while
    the case still waits."""
    pauses: list[Pause] = []
    started: datetime | None = None
    for at, before, after in changes:
        if after == waiting and started is None:
            started = at
        elif before == waiting and after != waiting and started is not None:
            pauses.append(Pause(started, at))
            started = None
    if started is not None:
        pauses.append(Pause(started, None))
    return pauses
