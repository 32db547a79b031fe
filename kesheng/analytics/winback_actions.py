"""Making a win-back list (docs/analytics.md, "Win-back"): the at-risk customers of the last
scoring run frozen as members, a reproducible held-out control group, and a customer segment
of the treated members that surveys and campaigns can target."""

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.analytics.models import CustomerScore, WinBackList, WinBackMember, WinBackSelection
from kesheng.analytics.segment_fields import winback_rules
from kesheng.analytics.winback import DEFAULT_CONTROL_SHARE, MAX_CONTROL_SHARE, choose_control
from kesheng.commerce.queries import customers_of_stores
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.customers.actions import create_segment

MAX_TOP = 10_000
MAX_NAME = 120
MAX_SEED = 2**63 - 1


def _check(
    name: Any, selection: Any, top: Any, min_risk: Any, control_share: Any, seed: Any
) -> tuple[str, int | None, float | None, float, int]:
    errors: list[FieldError] = []
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_NAME:
        errors.append(
            FieldError("name", _("a name of 1 to %(maximum)d characters") % {"maximum": MAX_NAME})
        )
    count = risk = None
    if selection == WinBackSelection.TOP:
        if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= MAX_TOP:
            errors.append(
                FieldError("top", _("a whole number from 1 to %(maximum)d") % {"maximum": MAX_TOP})
            )
        else:
            count = top
    elif selection == WinBackSelection.MIN_RISK:
        if (
            not isinstance(min_risk, int | float)
            or isinstance(min_risk, bool)
            or not (0 < min_risk <= 1)
        ):
            errors.append(FieldError("min_risk", _("a churn risk above 0 and at most 1")))
        else:
            risk = float(min_risk)
    else:
        errors.append(FieldError("selection", _("choose top or min_risk")))
    share = DEFAULT_CONTROL_SHARE
    if (
        not isinstance(control_share, int | float)
        or isinstance(control_share, bool)
        or not 0 <= control_share <= MAX_CONTROL_SHARE
    ):
        errors.append(
            FieldError(
                "control_share", _("a share from 0 to %(maximum)s") % {"maximum": MAX_CONTROL_SHARE}
            )
        )
    else:
        share = float(control_share)
    if seed is None:
        seed = secrets.randbelow(2**31)
    elif not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        errors.append(FieldError("seed", _("a whole number from 0 upwards")))
    if errors:
        raise InvalidInput(errors)
    return text, count, risk, share, seed


def create_win_back_list(
    *,
    name: Any,
    selection: Any,
    top: Any = None,
    min_risk: Any = None,
    control_share: Any = DEFAULT_CONTROL_SHARE,
    seed: Any = None,
    store_ids: frozenset[int] | None = None,
    created_by=None,
    now: datetime | None = None,
) -> WinBackList:
    """Freeze the customers at risk in the last scoring run — the ``top`` riskiest (ties by
    customer id) or every one with a churn risk of at least ``min_risk`` — among the customers
    of ``store_ids`` (None: every customer) into a new ``WinBackList``; hold out
    ``control_share`` of them as the control group (``winback.choose_control`` with ``seed``,
    random when None, stored so the split can be repeated); and create a customer segment named
    ``name`` whose rule selects the treated members. Bad input or nobody at risk: InvalidInput,
    and nothing is saved. One transaction; emits ``segment.created`` and
    ``winback_list.created``."""
    now = now or timezone.now()
    name, count, risk, share, seed = _check(name, selection, top, min_risk, control_share, seed)
    scores = CustomerScore.objects.filter(churn_risk__isnull=False)
    if store_ids is not None:
        scores = scores.filter(customer_id__in=customers_of_stores(store_ids))
    if risk is not None:
        scores = scores.filter(churn_risk__gte=risk)
    scores = scores.order_by("-churn_risk", "customer__customer_id").values_list(
        "customer_id", "customer__customer_id", "churn_risk", "computed_at"
    )
    rows = list(scores[:count] if count is not None else scores)
    if not rows:
        field = "top" if count is not None else "min_risk"
        raise InvalidInput(
            [FieldError(field, _("no customer with a churn risk matches; run the scoring first"))]
        )
    control = choose_control([row[1] for row in rows], share, seed)
    with transaction.atomic():
        win_back = WinBackList.objects.create(
            name=name,
            created_at=now,
            created_by=created_by,
            selection=selection,
            top=count,
            min_risk=risk,
            control_share=share,
            seed=seed,
            store_ids=sorted(store_ids) if store_ids is not None else None,
            scores_computed_at=max(row[3] for row in rows),
            treated_count=len(rows) - len(control),
            control_count=len(control),
        )
        WinBackMember.objects.bulk_create(
            [
                WinBackMember(
                    win_back_list=win_back,
                    customer_id=customer_pk,
                    is_control=customer_id in control,
                    churn_risk=churn_risk,
                )
                for customer_pk, customer_id, churn_risk, _at in rows
            ],
            batch_size=2000,
        )
        win_back.segment = create_segment(
            name=name,
            description=_(
                "The treated members of win-back list %(number)d (its control group of "
                "%(control)d is left out)."
            )
            % {"number": win_back.pk, "control": len(control)},
            rules=winback_rules(win_back.pk),
            created_by=created_by,
            now=now,
        )
        win_back.save(update_fields=["segment"])
        emit(
            "winback_list.created",
            {
                "winback_list_id": win_back.pk,
                "segment_id": win_back.segment.pk,
                "treated": win_back.treated_count,
                "control": win_back.control_count,
            },
        )
    return win_back


def merge_win_back_members(merged_pk: int, surviving_pk: int) -> None:
    """Merge handler: the merged customer's memberships move to the surviving profile, except
    in lists the surviving profile is already in (there it keeps its own group)."""
    already = WinBackMember.objects.filter(customer_id=surviving_pk).values("win_back_list_id")
    WinBackMember.objects.filter(customer_id=merged_pk, win_back_list_id__in=already).delete()
    WinBackMember.objects.filter(customer_id=merged_pk).update(customer_id=surviving_pk)
