"""Tier changes: upgrades after orders, the periodic review with its grace period, merges.

Every run reads the qualifying values of the customers concerned in one grouped query
(``commerce.queries.sum_kept_orders_by_customer``), decides for all of them at once with
``loyalty.tiers.decide`` and writes the changes in bulk. Runs take the programme row's lock,
so two runs (an order's handler and a review) never decide on the same member at once, and a
run repeated changes nothing: the decisions follow from the state, not from the event.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kesheng.commerce.queries import sum_kept_orders_by_customer
from kesheng.core.events import emit
from kesheng.core.ingest import chunked
from kesheng.customers.queries import map_customer_ids
from kesheng.loyalty import tiers as maths
from kesheng.loyalty.models import Membership, Programme, Qualification, Tier, TierChange
from kesheng.loyalty.models import TierChangeReason as Reason

CHUNK = 900  # SQLite's limit on the parameters of one statement is 999


@dataclass
class TierRun:
    """What one run changed. ``configured`` is False when there is no programme yet."""

    configured: bool = True
    reviewed: bool = False
    evaluated: int = 0
    assigned: int = 0
    upgraded: int = 0
    downgraded: int = 0
    grace_started: int = 0
    grace_cleared: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _qualifying_value(programme: Programme, spend: Decimal, count: int) -> Decimal:
    if programme.qualification == Qualification.ORDERS:
        return Decimal(count)
    return spend


def _memberships(customer_pks: list[int] | None) -> dict[int, tuple[int, int, datetime | None]]:
    """customer pk -> (membership pk, tier id, grace end) for these customers (None: all)."""
    rows = Membership.objects.values_list("customer_id", "pk", "tier_id", "grace_ends_at")
    if customer_pks is None:
        return {row[0]: row[1:] for row in rows.iterator(chunk_size=10_000)}
    found: dict[int, tuple[int, int, datetime | None]] = {}
    for chunk in chunked(customer_pks, CHUNK):
        found.update({row[0]: row[1:] for row in rows.filter(customer_id__in=chunk)})
    return found


def _evaluate(
    *,
    now: datetime,
    customer_pks: list[int] | None = None,
    every_customer: bool = False,
    reviewing: bool = False,
    one_event_each: bool = True,
) -> TierRun:
    programme = Programme.objects.select_for_update().filter(pk=1).first()
    if programme is None:
        return TierRun(configured=False)
    tiers = list(Tier.objects.filter(is_active=True).order_by("position"))
    levels = [maths.Level(tier.code, tier.threshold) for tier in tiers]
    position_of = {tier.pk: position for position, tier in enumerate(tiers)}
    totals = sum_kept_orders_by_customer(
        start=maths.window_start(now),
        end=now,
        currency=settings.KESHENG_DEFAULT_CURRENCY,
        customer_pks=customer_pks,
        every_customer=every_customer,
    )
    values = {pk: _qualifying_value(programme, spend, count) for pk, spend, count in totals}
    if customer_pks is not None:
        for pk in customer_pks:  # members of the list without kept orders qualify with 0
            values.setdefault(pk, Decimal(0))
    pks = list(values)
    memberships = _memberships(None if every_customer else pks)
    run = TierRun(reviewed=reviewing, evaluated=len(pks))
    if not pks:
        return run
    current = np.array(
        [position_of.get(memberships[pk][1], 0) if pk in memberships else -1 for pk in pks],
        dtype=np.int64,
    )
    graces = [memberships[pk][2] if pk in memberships else None for pk in pks]
    decisions = maths.decide(
        value_cents=np.array([maths.to_cents(values[pk]) for pk in pks], dtype=np.int64),
        current=current,
        in_grace=np.array([grace is not None for grace in graces], dtype=bool),
        grace_over=np.array([grace is not None and grace <= now for grace in graces], dtype=bool),
        levels=levels,
        reviewing=reviewing,
        grace_days=programme.grace_days,
    )

    def tier_at(index: int) -> Tier:
        return tiers[int(decisions.target[index])]

    new_rows = [
        Membership(
            customer_id=pks[index],
            tier=tier_at(index),
            since=now,
            qualified_value=values[pks[index]],
        )
        for index in decisions.assign
    ]
    Membership.objects.bulk_create(new_rows, batch_size=1000)
    changes = [
        TierChange(
            customer_id=row.customer_id,
            from_tier=None,
            to_tier=row.tier,
            reason=Reason.INITIAL,
            qualifying_value=row.qualified_value,
            changed_at=now,
        )
        for row in new_rows
    ]
    moved = []
    for reason, indexes in (
        (Reason.UPGRADE, decisions.upgrade),
        (Reason.DOWNGRADE, decisions.downgrade),
    ):
        for index in indexes:
            pk = pks[index]
            membership_pk, tier_id, _grace = memberships[pk]
            moved.append(
                Membership(
                    pk=membership_pk,
                    customer_id=pk,
                    tier=tier_at(index),
                    since=now,
                    qualified_value=values[pk],
                    grace_ends_at=None,
                    updated_at=now,
                )
            )
            changes.append(
                TierChange(
                    customer_id=pk,
                    from_tier_id=tier_id,
                    to_tier=tier_at(index),
                    reason=reason,
                    qualifying_value=values[pk],
                    changed_at=now,
                )
            )
    Membership.objects.bulk_update(
        moved, ["tier", "since", "qualified_value", "grace_ends_at", "updated_at"], batch_size=500
    )
    TierChange.objects.bulk_create(changes, batch_size=1000)
    _set_grace(
        [pks[index] for index in decisions.start_grace],
        maths.grace_end(now, programme.grace_days),
    )
    moved_pks = {row.customer_id for row in moved}
    cleared = [pks[index] for index in decisions.clear_grace if pks[index] not in moved_pks]
    _set_grace(cleared, None)
    if reviewing:
        programme.last_reviewed_at = now
        programme.save(update_fields=["last_reviewed_at", "updated_at"])
    run.assigned = len(new_rows)
    run.upgraded = len(decisions.upgrade)
    run.downgraded = len(decisions.downgrade)
    run.grace_started = len(decisions.start_grace)
    run.grace_cleared = len(cleared)
    run.by_tier = dict(Counter(change.to_tier.code for change in changes))
    _emit_changes(changes, one_event_each=one_event_each)
    return run


def _set_grace(customer_pks: list[int], grace_ends_at: datetime | None) -> None:
    for chunk in chunked(customer_pks, CHUNK):
        Membership.objects.filter(customer_id__in=chunk).update(
            grace_ends_at=grace_ends_at, updated_at=timezone.now()
        )


def _emit_changes(changes: list[TierChange], *, one_event_each: bool) -> None:
    """One ``loyalty.tier_changed`` per change; first tiers given in bulk (a review, an import
    of history) are one ``loyalty.tiers_assigned`` with counts instead, so launching the
    programme on a customer base does not read as thousands of changes to tell members."""
    if not changes:
        return
    each = [change for change in changes if one_event_each or change.reason != Reason.INITIAL]
    bulk = [change for change in changes if not one_event_each and change.reason == Reason.INITIAL]
    if bulk:
        emit(
            "loyalty.tiers_assigned",
            {"count": len(bulk), "tiers": dict(Counter(c.to_tier.code for c in bulk))},
        )
    if not each:
        return
    public_ids = _public_ids([change.customer_id for change in each])
    codes = dict(Tier.objects.values_list("pk", "code"))
    for change in each:
        emit(
            "loyalty.tier_changed",
            {
                "customer_id": public_ids.get(change.customer_id),
                "customer_pk": change.customer_id,
                "from_tier": codes.get(change.from_tier_id),
                "to_tier": change.to_tier.code,
                "reason": change.reason,
                "qualifying_value": str(change.qualifying_value),
                "changed_at": change.changed_at.isoformat(),
            },
        )


def _public_ids(customer_pks: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in chunked(customer_pks, CHUNK):
        found.update(
            Membership.objects.filter(customer_id__in=chunk).values_list(
                "customer_id", "customer__customer_id"
            )
        )
    return found


def _local(now: datetime) -> datetime:
    return timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))


def upgrade_tiers(*, customer_pks: list[int] | None = None, now: datetime | None = None) -> TierRun:
    """Give the customers the tier their last 12 months reach, if higher (or their first
    tier); nothing goes down here. ``customer_pks`` None: every customer with kept orders in
    the window (after an import), in one grouped query. Emits ``loyalty.tier_changed`` per
    change, or for first tiers given to all such customers one ``loyalty.tiers_assigned``."""
    with transaction.atomic():
        return _evaluate(
            now=now or timezone.now(),
            customer_pks=customer_pks,
            one_event_each=customer_pks is not None,
        )


def review_tiers(*, now: datetime | None = None, force: bool = False) -> TierRun:
    """The periodic review (``kesheng loyalty recalc-tiers`` forces one now; the beat task runs
    it when the programme's period has turned). Every customer is evaluated: upgrades and first
    tiers as usual; a member below their tier starts the grace period (or goes down at once
    without one); a member whose grace is over and who still falls short goes down; one who
    qualifies again leaves grace. Between reviews only grace periods that ended are acted on.
    Emits as ``upgrade_tiers`` does."""
    now = now or timezone.now()
    with transaction.atomic():
        programme = Programme.objects.filter(pk=1).first()
        if programme is None:
            return TierRun(configured=False)
        due = force or maths.is_review_due(
            programme.review_period,
            None if programme.last_reviewed_at is None else _local(programme.last_reviewed_at),
            _local(now),
        )
        if due:
            return _evaluate(now=now, every_customer=True, reviewing=True, one_event_each=False)
        ended = list(
            Membership.objects.filter(grace_ends_at__lte=now).values_list("customer_id", flat=True)
        )
        if not ended:
            return TierRun()
        return _evaluate(now=now, customer_pks=ended)


# --- domain event handlers ---------------------------------------------------------------------


def upgrade_after_order(payload: dict) -> None:
    """``order.placed``: the customer's tier may go up. Idempotent: a second delivery finds the
    tier already reached and changes nothing."""
    customer_pks = list(map_customer_ids([payload.get("customer_id") or ""]).values())
    if customer_pks:
        upgrade_tiers(customer_pks=customer_pks)


def upgrade_after_import(payload: dict) -> None:
    """``orders.imported``: every customer with kept orders in the window, in one pass."""
    upgrade_tiers()


# --- merges ------------------------------------------------------------------------------------


def merge_membership(merged_pk: int, surviving_pk: int) -> None:
    """Merge handler (one membership per customer): the surviving profile keeps the higher of
    the two tiers (with its since and grace), recorded as a ``merge`` change when it moves;
    after commit their orders together may reach a higher tier still."""
    merged = Membership.objects.select_related("tier").filter(customer_id=merged_pk).first()
    surviving = Membership.objects.select_related("tier").filter(customer_id=surviving_pk).first()
    if merged is not None:
        if surviving is None or merged.tier.position > surviving.tier.position:
            now = timezone.now()
            change = TierChange(
                customer_id=surviving_pk,
                from_tier=None if surviving is None else surviving.tier,
                to_tier=merged.tier,
                reason=Reason.MERGE,
                qualifying_value=merged.qualified_value,
                changed_at=now,
            )
            if surviving is not None:
                surviving.delete()
            Membership.objects.filter(pk=merged.pk).update(customer_id=surviving_pk)
            change.save()
            _emit_changes([change], one_event_each=True)
        else:
            merged.delete()
    transaction.on_commit(lambda: upgrade_tiers(customer_pks=[surviving_pk]))
