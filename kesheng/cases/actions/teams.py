"""Teams: which team a case belongs to, and round-robin assignment inside it."""

from __future__ import annotations

from django.db.models import Count

from kesheng.cases import assignment
from kesheng.cases.models import OPEN_STATUSES, AgentAvailability, Case, Team


def team_for(*, store_id: int | None, category: str) -> Team | None:
    """The active team of the case's store, else the active team covering its category (by
    name when several do), else None."""
    teams = Team.objects.filter(is_active=True).order_by("name", "pk")
    if store_id is not None:
        by_store = teams.filter(stores__pk=store_id).first()
        if by_store is not None:
            return by_store
    # Few teams, and JSON "contains" differs between SQLite and PostgreSQL: read them all.
    for team in teams:
        if category in (team.categories or []):
            return team
    return None


def choose_agent(team: Team):
    """The member whose turn it is in ``team`` (locked by the caller), skipping members who
    are away or at their cap of open cases; None when nobody can take a case. Moves the
    team's round-robin position to the chosen member."""
    members = list(team.members.filter(is_active=True).order_by("pk"))
    if not members:
        return None
    ids = [member.pk for member in members]
    availability = {row.user_id: row for row in AgentAvailability.objects.filter(user_id__in=ids)}
    open_cases = dict(
        Case.objects.filter(assignee_id__in=ids, status__in=OPEN_STATUSES)
        .order_by()
        .values_list("assignee_id")
        .annotate(count=Count("pk"))
    )
    caps = {}
    for pk in ids:
        own = availability.get(pk)
        caps[pk] = (
            own.max_open_cases
            if own is not None and own.max_open_cases is not None
            else team.max_open_cases_per_agent
        )
    chosen = assignment.next_agent(
        ids,
        last_assigned=team.last_assigned_id,
        away={pk for pk, row in availability.items() if row.is_away},
        open_cases=open_cases,
        caps=caps,
    )
    if chosen is None:
        return None
    team.last_assigned_id = chosen
    team.save(update_fields=["last_assigned"])
    return next(member for member in members if member.pk == chosen)


def set_agent_away(*, user, is_away: bool, max_open_cases: int | None = None) -> AgentAvailability:
    """Mark an agent away (no new cases by round-robin) or back, and optionally their own cap
    of open cases. Changes only ``AgentAvailability``; emits nothing."""
    availability, _created = AgentAvailability.objects.update_or_create(
        user=user,
        defaults={"is_away": is_away}
        | ({"max_open_cases": max_open_cases} if max_open_cases is not None else {}),
    )
    return availability
