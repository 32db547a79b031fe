"""Reads of the win-back lists and their result: did the treated order again more than the
held-out control group (docs/analytics.md, "Win-back")?"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.analytics.models import WinBackList, WinBackMember
from kesheng.analytics.winback import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS
from kesheng.commerce.queries import kept_orders_of
from kesheng.core.errors import FieldError, InvalidInput, NotFound
from kesheng.core.statistics import difference_of_proportions


def visible_win_back_lists(store_ids: frozenset[int] | None) -> QuerySet[WinBackList]:
    """Every list, or for a store manager (``store_ids`` given) the lists drawn from their
    stores only (a list drawn from every customer, or from another store, is not theirs)."""
    lists = WinBackList.objects.all()
    if store_ids is None:
        return lists
    mine = [
        pk
        for pk, scope in lists.filter(store_ids__isnull=False).values_list("pk", "store_ids")
        if scope and set(scope) <= store_ids
    ]
    return lists.filter(pk__in=mine)


def list_win_back_lists(
    store_ids: frozenset[int] | None = None, *, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest win-back lists (one query), each ``{"id", "name", "created_at",
    "selection", "top", "min_risk", "treated", "control", "segment_id"}``."""
    rows = visible_win_back_lists(store_ids).values(
        "pk",
        "name",
        "created_at",
        "selection",
        "top",
        "min_risk",
        "treated_count",
        "control_count",
        "segment_id",
    )[:limit]
    return [
        {
            "id": row["pk"],
            "name": row["name"],
            "created_at": row["created_at"],
            "selection": row["selection"],
            "top": row["top"],
            "min_risk": row["min_risk"],
            "treated": row["treated_count"],
            "control": row["control_count"],
            "segment_id": row["segment_id"],
        }
        for row in rows
    ]


def parse_window_days(days: Any) -> int:
    """The follow-up window in whole days (1..``MAX_WINDOW_DAYS``); else ``InvalidInput``
    naming ``days``."""
    if days is None or days == "":
        return DEFAULT_WINDOW_DAYS
    try:
        value = int(days)
        if isinstance(days, float | bool) or not 1 <= value <= MAX_WINDOW_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput(
            [
                FieldError(
                    "days",
                    _("a whole number of days from 1 to %(maximum)d")
                    % {"maximum": MAX_WINDOW_DAYS},
                )
            ]
        ) from None
    return value


def _group(members: int, ordered: int) -> dict[str, Any]:
    return {
        "members": members,
        "ordered": ordered,
        "rate": round(ordered / members, 4) if members else None,
    }


def get_win_back_result(
    list_id: Any,
    *,
    days: Any = DEFAULT_WINDOW_DAYS,
    store_ids: frozenset[int] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The win-back rate of a list: of its treated members and of its control group, how many
    placed a kept order (any store, any currency) after the list was made and within ``days``
    days of it, and the difference treated − control with its 95 % interval (Newcombe) and
    two-sided p-value (``core.statistics.difference_of_proportions``). Counted in one grouped
    query. ``window_complete`` is false while the window is still running (the rates are then
    so far). Unknown or not visible list: ``NotFound``; bad ``days``: ``InvalidInput``."""
    window = parse_window_days(days)
    now = now or timezone.now()
    try:
        pk = int(list_id)
    except (TypeError, ValueError):
        pk = 0
    win_back = visible_win_back_lists(store_ids).filter(pk=pk).first()
    if win_back is None:
        raise NotFound(_("no win-back list %(id)s") % {"id": list_id})
    start = win_back.created_at
    end = start + timedelta(days=window)
    ordered = Exists(kept_orders_of(OuterRef("customer_id"), after=start, until=end))
    counts = {
        row["is_control"]: row
        for row in WinBackMember.objects.filter(win_back_list=win_back)
        .order_by()
        .values("is_control")
        .annotate(
            members=Count("pk"),
            ordered=Sum(
                Case(When(ordered, then=Value(1)), default=Value(0), output_field=IntegerField())
            ),
        )
    }
    treated = counts.get(False, {"members": 0, "ordered": 0})
    control = counts.get(True, {"members": 0, "ordered": 0})
    difference = difference_of_proportions(
        treated["ordered"], treated["members"], control["ordered"], control["members"]
    )

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {
        "id": win_back.pk,
        "name": win_back.name,
        "created_at": win_back.created_at,
        "scores_computed_at": win_back.scores_computed_at,
        "selection": win_back.selection,
        "top": win_back.top,
        "min_risk": win_back.min_risk,
        "control_share": win_back.control_share,
        "seed": win_back.seed,
        "segment_id": win_back.segment_id,
        "days": window,
        "window_end": end,
        "window_complete": now >= end,
        "treated": _group(treated["members"], treated["ordered"] or 0),
        "control": _group(control["members"], control["ordered"] or 0),
        "difference": {
            "value": rounded(difference.value),
            "low": rounded(difference.low),
            "high": rounded(difference.high),
            "p_value": rounded(difference.p_value),
            "confidence": difference.confidence,
            "significant": difference.is_significant(),
        },
    }


def win_back_result_json(result: dict[str, Any]) -> dict[str, Any]:
    """The result with its times as ISO text (the CLI's ``--json``; the API serialises
    times itself)."""
    document = dict(result)
    for key in ("created_at", "scores_computed_at", "window_end"):
        if document[key] is not None:
            document[key] = document[key].isoformat()
    return document
