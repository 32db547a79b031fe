"""Customers merged: their cases follow."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.cases.actions.common import (
    _payload,
    _record,
)
from kesheng.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEventKind,
    CaseStatus,
)
from kesheng.core.events import emit

# --- customers merged ------------------------------------------------------------------------


def merge_cases(merged_pk: int, surviving_pk: int) -> None:
    """Merge handler: the merged profile's cases move to the surviving one; where both have an
    open case for the same cause, the merged one's is closed as a duplicate first (one open case
    per customer and cause)."""
    now = timezone.now()
    open_causes = set(
        Case.objects.filter(customer_id=surviving_pk, status__in=OPEN_STATUSES).values_list(
            "category", flat=True
        )
    )
    for case in Case.objects.select_for_update().filter(
        customer_id=merged_pk, status__in=OPEN_STATUSES, category__in=open_causes
    ):
        before = case.status
        case.status, case.closed_at = CaseStatus.CLOSED, now
        case.save(update_fields=["status", "closed_at", "updated_at"])
        _record(
            case,
            CaseEventKind.STATUS,
            now=now,
            from_value=before,
            to_value=CaseStatus.CLOSED,
            text=_("closed as a duplicate: the customer was merged into another profile"),
        )
        emit("case.closed", _payload(case, previous=before))
    Case.objects.filter(customer_id=merged_pk).update(customer_id=surviving_pk)
