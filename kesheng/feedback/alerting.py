"""Feedback alerts: find this week's spikes (kesheng.feedback.spikes), store one alert per
spike, email it once to the staff who subscribed, and read the alerts back for the pages.

The period is the current week (Monday 00:00 in TIME_ZONE up to now); the baseline the
``baseline_weeks`` full weeks before it. A spike found on Tuesday is stored then; later runs
in the same week find the same kind, scope and week already stored and alert nothing more.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesheng.commerce.queries import visible_store_ids
from kesheng.core.events import emit
from kesheng.feedback.models import (
    AlertScope,
    FeedbackAlert,
    FeedbackAlertSubscription,
    FeedbackItem,
    SentimentLabel,
)
from kesheng.feedback.queries import describe_alert, visible_alerts
from kesheng.feedback.spikes import Counts, ScopeCounts, SpikeRule, find_spikes

logger = logging.getLogger(__name__)

VIEW_FEEDBACK = "feedback.view_feedbackitem"


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def week_start_of(moment: datetime) -> date:
    """The Monday of the week holding ``moment`` (in TIME_ZONE)."""
    day = moment.astimezone(_zone()).date()
    return day - timedelta(days=day.weekday())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, _zone())


def item_category_keys(categories) -> list[str]:
    """The category keys of one item's ``categories`` field: a list of keys (or of
    ``{"category": key}`` objects). Category alerts read only this function, so a change of the
    field's shape is connected here."""
    keys = []
    for entry in categories or []:
        key = entry.get("category") if isinstance(entry, dict) else entry
        if isinstance(key, str) and key:
            keys.append(key)
    return sorted(set(keys))


@dataclass
class _Tally:
    label: str = ""
    now_n: int = 0
    now_analysed: int = 0
    now_negative: int = 0
    base_n: int = 0
    base_analysed: int = 0
    base_negative: int = 0


def count_scopes(*, now: datetime, rule: SpikeRule) -> tuple[list[ScopeCounts], dict, float]:
    """Each store's, category's and product's counts this week and in the baseline weeks;
    returns the counts, their display names by (scope kind, key) and the week's elapsed share
    (the current exposure in weeks)."""
    this_week = week_start_of(now)
    current_from = _start_of(this_week)
    baseline_from = _start_of(this_week - timedelta(weeks=rule.baseline_weeks))
    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    rows = (
        FeedbackItem.objects.filter(occurred_at__gte=baseline_from, occurred_at__lt=now)
        .values_list(
            "occurred_at",
            "sentiment",
            "store__code",
            "store__name_zh",
            "product__sku",
            "product__name_zh",
            "categories",
        )
        .iterator(chunk_size=5000)
    )
    for occurred_at, sentiment, store, store_name, sku, product_name, categories in rows:
        scopes = []
        if store:
            scopes.append((AlertScope.STORE.value, store, store_name or store))
        if sku:
            scopes.append((AlertScope.PRODUCT.value, sku, product_name or sku))
        scopes.extend(
            (AlertScope.CATEGORY.value, key, key) for key in item_category_keys(categories)
        )
        is_now = occurred_at >= current_from
        for scope_kind, key, label in scopes:
            tally = tallies[(scope_kind, key)]
            tally.label = label
            if is_now:
                tally.now_n += 1
                tally.now_analysed += bool(sentiment)
                tally.now_negative += sentiment == SentimentLabel.NEGATIVE
            else:
                tally.base_n += 1
                tally.base_analysed += bool(sentiment)
                tally.base_negative += sentiment == SentimentLabel.NEGATIVE
    counts = [
        ScopeCounts(
            scope_kind=scope_kind,
            scope_key=key,
            current=Counts(n=t.now_n, negative=t.now_negative, analysed=t.now_analysed),
            baseline=Counts(n=t.base_n, negative=t.base_negative, analysed=t.base_analysed),
        )
        for (scope_kind, key), t in sorted(tallies.items())
    ]
    labels = {scope: t.label for scope, t in tallies.items()}
    elapsed = max((now - current_from) / timedelta(weeks=1), 1e-6)
    return counts, labels, min(elapsed, 1.0)


def detect_feedback_alerts(
    *, now: datetime | None = None, rule: SpikeRule | None = None
) -> list[FeedbackAlert]:
    """Store an alert for each spike of this week not already stored; returns the new ones.
    Emits ``feedback.alert_raised`` per new alert. Safe to run as often as wanted (and by two
    workers at once: the unique constraint keeps one alert per kind, scope and week)."""
    now = now or timezone.now()
    rule = rule or SpikeRule()
    counts, labels, exposure = count_scopes(now=now, rule=rule)
    this_week = week_start_of(now)
    created = []
    for scope, test in find_spikes(counts, rule, current_exposure=exposure):
        assert test.p_value is not None  # a spike always carries its test
        try:
            with transaction.atomic():
                alert = FeedbackAlert.objects.create(
                    kind=test.kind,
                    scope_kind=scope.scope_kind,
                    scope_key=scope.scope_key,
                    scope_label=labels.get((scope.scope_kind, scope.scope_key), ""),
                    period_start=this_week,
                    period_end=this_week + timedelta(days=6),
                    observed=test.observed,
                    expected=test.expected,
                    p_value=test.p_value,
                    n=test.n,
                    baseline_n=test.baseline_n,
                    detected_at=now,
                )
                emit(
                    "feedback.alert_raised",
                    {
                        "alert_id": alert.pk,
                        "kind": alert.kind,
                        "scope_kind": alert.scope_kind,
                        "scope_key": alert.scope_key,
                        "period_start": alert.period_start.isoformat(),
                    },
                )
        except IntegrityError:
            continue  # this spike was alerted already
        created.append(alert)
    return created


def set_alert_subscription(*, user, subscribed: bool) -> bool:
    """Subscribe ``user`` to alert emails or unsubscribe them; returns the new state."""
    if subscribed:
        FeedbackAlertSubscription.objects.get_or_create(user=user)
    else:
        FeedbackAlertSubscription.objects.filter(user=user).delete()
    return subscribed


def is_subscribed(user) -> bool:
    return FeedbackAlertSubscription.objects.filter(user=user).exists()


def _subscribers() -> list:
    users = (
        get_user_model()
        .objects.filter(feedback_alert_subscription__isnull=False, is_active=True)
        .exclude(email="")
    )
    return [user for user in users.order_by("pk") if user.has_perm(VIEW_FEEDBACK)]


def _visible_to(alerts: Iterable[FeedbackAlert], user) -> list[FeedbackAlert]:
    store_ids = visible_store_ids(user)
    if store_ids is None:
        return list(alerts)
    allowed = set(visible_alerts(store_ids).values_list("pk", flat=True))
    return [alert for alert in alerts if alert.pk in allowed]


def email_new_alerts(*, now: datetime | None = None) -> int:
    """Email each alert not yet emailed to every subscribed staff member who may see it (one
    message per person listing the new alerts); returns how many alerts were sent. An alert is
    claimed before sending so two runs never send it twice; if the mail server refuses, the
    claim is released and the next run tries again."""
    now = now or timezone.now()
    claimed = []
    for alert in FeedbackAlert.objects.filter(emailed_at__isnull=True).order_by("pk"):
        if FeedbackAlert.objects.filter(pk=alert.pk, emailed_at__isnull=True).update(
            emailed_at=now
        ):
            claimed.append(alert)
    if not claimed:
        return 0
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for user in _subscribers():
                alerts = _visible_to(claimed, user)
                if not alerts:
                    continue
                lines = [f"- {describe_alert(alert)}" for alert in alerts]
                body = "\n".join(
                    [
                        _("Feedback rose significantly above its usual level:"),
                        "",
                        *lines,
                        "",
                        _("See the feedback inbox for the items."),
                    ]
                )
                subject = _("Kesheng feedback alert: %(count)d new") % {"count": len(alerts)}
                EmailMessage(subject=subject, body=body, to=[user.email]).send()
    except Exception:
        FeedbackAlert.objects.filter(pk__in=[alert.pk for alert in claimed]).update(emailed_at=None)
        raise
    return len(claimed)
