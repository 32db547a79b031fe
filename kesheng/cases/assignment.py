"""Round-robin choice of the next agent, pure (no Django), so the rule is easy to test.

Members are taken in a fixed order; the turn passes to the member after the one who got the
last case, wrapping around. A member who is away, or who already holds their cap of open
cases, is skipped; if everyone is skipped, nobody gets the case (it waits in the team's queue).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def next_agent(
    members: Sequence[int],
    *,
    last_assigned: int | None,
    away: set[int] | frozenset[int],
    open_cases: Mapping[int, int],
    caps: Mapping[int, int],
) -> int | None:
    """The member (by id) whose turn it is, or None when nobody can take a case now."""
    if not members:
        return None
    start = members.index(last_assigned) + 1 if last_assigned in members else 0
    for offset in range(len(members)):
        member = members[(start + offset) % len(members)]
        if member in away:
            continue
        if open_cases.get(member, 0) >= caps.get(member, 0):
            continue
        return member
    return None
