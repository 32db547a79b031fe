"""Forming the personas (docs/analytics.md, "Personas"): the behaviour features of every
scored customer gathered set-based (a few grouped queries, never one per customer), grouped by
``kesheng.analytics.personas``, and stored as ``Persona`` rows with each customer's persona on
their ``CustomerScore``.

``score_customers`` calls ``build_personas`` inside its own run; ``assign_personas`` re-forms
the personas alone from the stored scores (``kesheng analytics personas``).
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kesheng.analytics import churn, personas
from kesheng.analytics.models import CustomerScore, Persona
from kesheng.commerce.queries import sum_kept_spend_by_customer_and_category
from kesheng.surveys.queries.scores import list_customer_metric_answers
from kesheng.tracking.queries import count_events_by_customer_and_channel

TOP_CATEGORIES = 12  # category columns of the features; the rest add up under "other"
TYPICAL = 3  # channels and categories named per persona
_UPDATE_BATCH = 10_000  # customers per UPDATE (SQLite's limit on bound parameters)


@dataclass(frozen=True)
class PersonaRun:
    """One run's personas: ``labels`` per customer of ``customer_ids`` (None when the data
    cannot support personas, with the reason in ``error``)."""

    customer_ids: np.ndarray
    labels: np.ndarray | None
    rows: list[Persona]
    silhouettes: dict[int, float]
    error: dict[str, str] | None

    def to_json(self) -> dict:
        return {
            "k": len(self.rows) or None,
            "silhouettes": {str(k): round(value, 4) for k, value in self.silhouettes.items()},
            "error": self.error,
            "personas": [{"number": row.number, "customers": row.customers} for row in self.rows],
        }


def _typical(names: list[str], means: np.ndarray) -> list[list]:
    """The ``TYPICAL`` columns with the largest mean share (above 0), largest first."""
    order = np.argsort(-means, kind="stable")[:TYPICAL]
    return [[names[i], round(float(means[i]), 4)] for i in order if means[i] > 0]


def build_personas(
    customer_ids: np.ndarray,
    recency_days: np.ndarray,
    frequency: np.ndarray,
    monetary: np.ndarray,
    *,
    now: datetime,
) -> PersonaRun:
    """Personas of the customers given (sorted pks with their RFM numbers), unsaved."""
    ids = np.asarray(customer_ids, dtype=np.int64)
    spend = np.asarray(monetary, dtype=np.float64)
    event_pks, event_channels, event_counts = count_events_by_customer_and_channel()
    channel_names, channel_shares = personas.pivot_shares(
        ids, event_pks, event_channels, event_counts
    )
    line_pks, line_categories, line_totals = sum_kept_spend_by_customer_and_category(
        currency=settings.KESHENG_DEFAULT_CURRENCY, end=now
    )
    category_names, category_shares = personas.pivot_shares(
        ids, line_pks, line_categories, line_totals, top=TOP_CATEGORIES
    )
    answer_pks, answer_days, answer_values = list_customer_metric_answers("nps", end=now)
    nps = churn.latest_answers(
        ids,
        np.array(answer_pks, dtype=np.int64),
        np.array(answer_days, dtype="datetime64[D]"),
        np.array(answer_values, dtype=np.float64),
        timezone.localtime(now).date(),
    )[0]
    behaviour = [
        np.log1p(np.asarray(recency_days, dtype=np.float64))[:, None],
        np.log1p(np.asarray(frequency, dtype=np.float64))[:, None],
        np.log1p(spend)[:, None],
        channel_shares,
        category_shares,
        nps[:, None],
    ]
    blocks = [block.shape[1] for block in behaviour if block.shape[1]]
    features = np.hstack([block for block in behaviour if block.shape[1]])
    try:
        fit = personas.fit_personas(features, spend, blocks=blocks)
    except personas.PersonaError as error:
        return PersonaRun(ids, None, [], {}, {"code": error.code, "message": error.message})
    k, labels = fit.k, fit.labels
    sizes = np.bincount(labels - 1, minlength=k)
    rfm_means = personas.group_means(
        labels, k, np.column_stack([spend, frequency, recency_days]).astype(np.float64)
    )
    nps_means = personas.group_means(labels, k, nps)[:, 0]
    nps_counts = personas.group_counts(labels, k, ~np.isnan(nps))
    channel_means = personas.group_means(labels, k, channel_shares)
    category_means = personas.group_means(labels, k, category_shares)
    overall = float(spend.mean()) if len(spend) else 0.0
    chosen = fit.silhouettes.get(k)
    rows = [
        Persona(
            number=number,
            customers=int(sizes[number - 1]),
            share=round(float(sizes[number - 1]) / len(ids), 4),
            mean_monetary=round(float(rfm_means[number - 1, 0]), 2),
            mean_frequency=round(float(rfm_means[number - 1, 1]), 2),
            mean_recency_days=round(float(rfm_means[number - 1, 2]), 1),
            value_index=round(float(rfm_means[number - 1, 0]) / overall, 3) if overall else 1.0,
            mean_nps=None
            if np.isnan(nps_means[number - 1])
            else round(float(nps_means[number - 1]), 2),
            nps_answers=int(nps_counts[number - 1]),
            channels=_typical(channel_names, channel_means[number - 1]) if channel_names else [],
            categories=_typical(category_names, category_means[number - 1])
            if category_names
            else [],
            silhouette=None if chosen is None else round(chosen, 4),
            computed_at=now,
        )
        for number in range(1, k + 1)
    ]
    return PersonaRun(ids, labels, rows, fit.silhouettes, None)


def save_personas(run: PersonaRun) -> None:
    """Replace the stored personas with the run's (call inside the caller's transaction)."""
    Persona.objects.all().delete()
    Persona.objects.bulk_create(run.rows)


def assign_personas(*, now: datetime | None = None) -> PersonaRun:
    """Re-form the personas from the stored scores (RFM of the last scoring run) and today's
    events, spend by category and NPS answers; set every scored customer's persona and replace
    the ``Persona`` rows, in one transaction (one UPDATE per persona). When the data cannot
    support personas, every persona is cleared and the run says why. Emits nothing."""
    now = now or timezone.now()
    rows = CustomerScore.objects.order_by("customer_id").values_list(
        "customer_id", "recency_days", "frequency", "monetary"
    )
    table = np.array(
        [(pk, recency, frequency, float(spend)) for pk, recency, frequency, spend in rows],
        dtype=np.float64,
    ).reshape(-1, 4)
    run = build_personas(
        table[:, 0].astype(np.int64), table[:, 1], table[:, 2], table[:, 3], now=now
    )
    with transaction.atomic():
        CustomerScore.objects.update(persona=None)
        if run.labels is not None:
            for number in range(1, len(run.rows) + 1):
                members = run.customer_ids[run.labels == number].tolist()
                for start in range(0, len(members), _UPDATE_BATCH):
                    CustomerScore.objects.filter(
                        customer_id__in=members[start : start + _UPDATE_BATCH]
                    ).update(persona=number)
        save_personas(run)
    return run
