"""Keeping the answer counts (``kesheng.analytics.models``) in step with the responses.

Counting is set-based: one statement claims the completed responses not counted yet, one
statement per table adds their NPS, CSAT and CES answers grouped by every dimension, with an
upsert that adds to the counts already there. A response is counted once whatever calls this
(the ``response.completed`` and ``responses.imported`` subscribers, the periodic sweep that
catches anything an event missed, a rebuild): claiming it is an insert into ``CountedResponse``
that does nothing when another run got there first.
"""

import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, DateField, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from kesheng.analytics import churn, clv, rfm
from kesheng.analytics.actions_personas import build_personas, save_personas
from kesheng.analytics.metrics import METRICS
from kesheng.analytics.models import (
    AnswerCountByDay,
    AnswerCountByDayAndTouchpoint,
    AnswerCountByMonth,
    CountedResponse,
    CustomerScore,
    ScoringRun,
)
from kesheng.cases.queries import count_cases_by_customer, count_open_cases_by_customer
from kesheng.commerce.queries import OrderArrays, list_kept_order_arrays
from kesheng.core.parsing import CENT
from kesheng.surveys.exports import iter_definition_questions
from kesheng.surveys.models import Response, ResponseStatus, ResponseValue, SurveyVersion
from kesheng.surveys.queries.scores import list_customer_metric_answers
from kesheng.tracking.queries import count_events_by_customer


def _metric_of_answer(batch: int) -> Case | None:
    """The metric each answer of the batch counts for: the type its question has in the
    version the response answered (a question renamed or retyped in a later version counts as
    it was asked). None when no version answered asks an NPS, CSAT or CES question."""
    claimed = CountedResponse.objects.filter(batch=batch).values("response_id")
    answered = Response.objects.filter(pk__in=claimed).order_by().values("version_id")
    versions = SurveyVersion.objects.filter(pk__in=answered).order_by()
    by_version_and_metric: dict[tuple[int, str], list[str]] = {}
    for version_id, definition in versions.values_list("pk", "definition"):
        for question in iter_definition_questions(definition or {}):
            if question.get("type") in METRICS:
                key = (version_id, str(question["type"]))
                by_version_and_metric.setdefault(key, []).append(str(question["name"]))
    if not by_version_and_metric:
        return None
    return Case(
        *(
            When(Q(response__version_id=version_id, question__in=names), then=Value(metric))
            for (version_id, metric), names in sorted(by_version_and_metric.items())
        ),
        default=Value(""),
        output_field=CharField(),
    )


# How each column of the count tables is read off an answer and its response.
_COLUMNS = {
    "survey_id": F("survey_id"),
    "question": F("question"),
    "store_id": Coalesce("response__store_id", 0),
    "channel_id": Coalesce("response__channel_id", 0),
    "touchpoint_id": Coalesce("response__touchpoint_id", 0),
    "staff_id": Coalesce("response__staff_id", 0),
    "language": F("response__language"),
    "value": F("number"),
}


def _add_counts(table, periods: dict, batch: int, metric_of_answer: Case) -> None:
    """Add the claimed batch's answers to one table, grouped by its key columns."""
    columns = {**_COLUMNS, **periods, "metric": metric_of_answer}
    key = list(table.KEY)
    # Aliases that cannot clash with a column name, in the order of the key.
    selected = {f"c_{name}": columns[name] for name in key}
    claimed = CountedResponse.objects.filter(batch=batch).values("response_id")
    grouped = (
        ResponseValue.objects.filter(
            response_id__in=claimed,
            item="",
            number__isnull=False,
            response__completed_at__isnull=False,
        )
        .annotate(**selected)
        .exclude(c_metric="")
        .order_by()
        .values(*selected)
        .annotate(c_count=Count("id"))
    )
    select_sql, params = grouped.query.sql_with_params()
    name = connection.ops.quote_name(table._meta.db_table)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
    statement = (
        f"INSERT INTO {name} ({', '.join([*key, 'count'])}) "
        f"SELECT {', '.join([*selected, 'c_count'])} FROM ({select_sql}) grouped WHERE true "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET count = {name}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def count_new_responses(
    *, response_ids: Iterable[int] | None = None, survey_id: int | None = None
) -> int:
    """Add to the answer counts the completed responses not counted yet: those given, those
    of one survey, or all. Returns how many responses were counted now. Changes only the
    analytics tables; emits nothing."""
    responses = Response.objects.filter(status=ResponseStatus.COMPLETED).exclude(
        Exists(CountedResponse.objects.filter(response_id=OuterRef("pk")))
    )
    if response_ids is not None:
        responses = responses.filter(pk__in=list(response_ids))
    if survey_id is not None:
        responses = responses.filter(survey_id=survey_id)
    with transaction.atomic():
        batch = secrets.randbits(62)
        select_sql, params = (
            responses.order_by()
            .annotate(claimed_id=F("pk"))
            .values("claimed_id")
            .query.sql_with_params()
        )
        name = connection.ops.quote_name(CountedResponse._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {name} (response_id, batch) SELECT claimed.claimed_id, %s "
                f"FROM ({select_sql}) claimed WHERE true ON CONFLICT (response_id) DO NOTHING",
                [batch, *params],
            )
            claimed = cursor.rowcount
        if claimed <= 0:
            return 0
        metric_of_answer = _metric_of_answer(batch)
        if metric_of_answer is not None:
            zone = timezone.get_default_timezone()
            day = TruncDate("response__completed_at", tzinfo=zone)
            month = TruncMonth("response__completed_at", tzinfo=zone, output_field=DateField())
            _add_counts(AnswerCountByDay, {"day": day}, batch, metric_of_answer)
            _add_counts(AnswerCountByDayAndTouchpoint, {"day": day}, batch, metric_of_answer)
            _add_counts(AnswerCountByMonth, {"month": month}, batch, metric_of_answer)
    return claimed


def recount_answers() -> int:
    """Rebuild the answer counts from the responses alone (after a restore, a change of the
    business time zone, or responses deleted outside Kesheng's actions). One transaction:
    readers see the old counts until the new ones are complete. Returns the responses
    counted."""
    tables = [AnswerCountByDay, AnswerCountByDayAndTouchpoint, AnswerCountByMonth, CountedResponse]
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table._meta.db_table)}")
        return count_new_responses()


def count_completed_response(payload: dict) -> None:
    """Subscriber of ``response.completed``."""
    count_new_responses(response_ids=[payload["response_id"]])


def count_imported_responses(payload: dict) -> None:
    """Subscriber of ``responses.imported``."""
    count_new_responses(survey_id=payload["survey_id"])


# --------------------------------------------------------------------------------------------
# Per-customer scores: RFM and lifetime value (docs/analytics.md, "Stored scores")


@dataclass(frozen=True)
class ScoringSummary:
    """What one scoring run did; ``clv_error`` says why P(alive) and CLV are empty, if they are."""

    customers: int
    orders: int
    computed_at: datetime
    seconds: float
    segments: dict[str, int]
    clv_error: dict[str, str] | None = None
    bgnbd: dict[str, float] | None = None
    gamma_gamma: dict[str, float] | None = None
    churn: dict | None = None
    personas: dict | None = None
    # Seconds per stage of the run (reading orders, RFM, CLV, churn, personas, writing), in
    # order: where a slow night went.
    stages: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "customers": self.customers,
            "orders": self.orders,
            "computed_at": self.computed_at.isoformat(),
            "seconds": self.seconds,
            "segments": self.segments,
            "clv_error": self.clv_error,
            "bgnbd": self.bgnbd,
            "gamma_gamma": self.gamma_gamma,
            "churn": self.churn,
            "personas": self.personas,
            "stages": self.stages,
        }


def _money(value: float) -> Decimal:
    return Decimal(repr(round(float(value), 2))).quantize(CENT)


def _lifetime_values(
    orders: OrderArrays, today: date, rfm_ids: np.ndarray
) -> tuple[dict[str, np.ndarray | None], dict[str, str] | None, dict, dict]:
    """P(alive), expected purchases over the horizon and CLV, aligned with ``rfm_ids`` (both
    sorted ascending, from the same orders); None arrays and the reason when a fit fails.
    Customers whose first order is today (T = 0) have no history the models can read: they
    are left out of the fit and get NaN (stored as null) until the next day's run."""
    empty: dict[str, np.ndarray | None] = {"p_alive": None, "expected": None, "clv": None}
    summary = clv.summarise_orders(
        orders.customer_pks, orders.order_dates, orders.amounts, end=today, period_days=1.0
    )
    assert np.array_equal(summary.customer_ids, rfm_ids)  # same orders, same sorted ids
    known = summary.T > 0
    x, t_x, T, spend = (
        summary.x[known],
        summary.t_x[known],
        summary.T[known],
        summary.monetary[known],
    )
    try:
        bgnbd = clv.fit_bgnbd(x, t_x, T)
    except clv.FitError as error:
        return empty, {"model": "bgnbd", "code": error.code, "message": error.message}, {}, {}

    def spread(values: np.ndarray) -> np.ndarray:
        full = np.full(len(known), np.nan)
        full[known] = values
        return full

    horizon = clv.DEFAULT_HORIZON_MONTHS * clv.DAYS_PER_MONTH
    values: dict[str, np.ndarray | None] = {
        "p_alive": spread(clv.probability_alive(bgnbd, x, t_x, T)),
        "expected": spread(clv.expected_purchases(bgnbd, horizon, x, t_x, T)),
        "clv": None,
    }
    try:
        gamma_gamma = clv.fit_gamma_gamma(x, spend)
        values["clv"] = spread(
            clv.customer_lifetime_value(bgnbd, gamma_gamma, x, t_x, T, spend, period_days=1.0)
        )
    except clv.FitError as error:
        reason = {"model": "gamma_gamma", "code": error.code, "message": error.message}
        return values, reason, bgnbd.params, {}
    return values, None, bgnbd.params, gamma_gamma.params


class _Answers:
    """Every customer's NPS and CSAT answers up to now, fetched once for every cut-off."""

    def __init__(self, now: datetime) -> None:
        self.by_metric = {}
        for metric in ("nps", "csat"):
            pks, days, numbers = list_customer_metric_answers(metric, end=now)
            self.by_metric[metric] = (
                np.array(pks, dtype=np.int64),
                np.array(days, dtype="datetime64[D]"),
                np.array(numbers, dtype=np.float64),
            )


def _counts(customer_ids: np.ndarray, columns: tuple[list[int], list[int]]) -> np.ndarray:
    return churn.count_per_customer(customer_ids, np.array(columns[0], dtype=np.int64), columns[1])


def _churn_indicators(
    customer_ids: np.ndarray,
    orders: OrderArrays,
    answers: _Answers,
    moment: datetime,
    p_alive: np.ndarray | None,
) -> churn.Indicators:
    """Every churn indicator of ``customer_ids`` as things stood at ``moment``: a few grouped
    queries (events, cases) and arrays read once (orders, answers), never a query per
    customer."""
    day = timezone.localtime(moment).date()
    since, usual, order_days = churn.order_rhythm(
        customer_ids, orders.customer_pks, orders.order_dates, day
    )
    scores = {
        metric: churn.latest_answers(customer_ids, *answers.by_metric[metric], day)
        for metric in ("nps", "csat")
    }
    window = timedelta(days=churn.ENGAGEMENT_WINDOW_DAYS)
    recent = count_events_by_customer(start=moment - window, end=moment)
    before = count_events_by_customer(start=moment - 2 * window, end=moment - window)
    complaints = count_cases_by_customer(
        opened_from=moment - timedelta(days=churn.COMPLAINT_WINDOW_DAYS), opened_to=moment
    )
    return churn.Indicators(
        customer_ids=customer_ids,
        days_since_last_order=since,
        usual_gap_days=usual,
        orders=order_days,
        p_alive=np.full(len(customer_ids), np.nan) if p_alive is None else p_alive,
        nps=scores["nps"][0],
        nps_change=scores["nps"][1],
        nps_days_ago=scores["nps"][2],
        csat=scores["csat"][0],
        csat_change=scores["csat"][1],
        csat_days_ago=scores["csat"][2],
        events_recent=_counts(customer_ids, recent),
        events_before=_counts(customer_ids, before),
        complaints=_counts(customer_ids, complaints),
        open_cases=_counts(customer_ids, count_open_cases_by_customer(at=moment)),
    )


def _churn_classifier(
    orders: OrderArrays, answers: _Answers, now: datetime
) -> tuple[churn.ClassifierResult | None, str]:
    """Train the classifier on the customers as they stood one window before the last one
    (label: no order in the window after) and evaluate it on the last window; None and why
    when the history cannot support it or the classifier does not beat ``MIN_HOLDOUT_AUC``.
    P(alive) is left out of its inputs: it is not known at past cut-offs."""
    if len(orders.customer_pks) == 0:
        return None, "history_too_short"
    window = timedelta(days=churn.CHURN_WINDOW_DAYS)
    sets = []
    for cutoff in (now - 2 * window, now - window):
        day = np.datetime64(timezone.localtime(cutoff).date(), "D")
        ids = np.unique(orders.customer_pks[orders.order_dates <= day])
        indicators = _churn_indicators(ids, orders, answers, cutoff, None)
        labels = churn.churn_labels(ids, orders.customer_pks, orders.order_dates, day)
        sets.append((churn.features(indicators), labels))
    (x_train, y_train), (x_test, y_test) = sets
    enough, why = churn.has_enough_history(
        orders.order_dates.min(), timezone.localtime(now).date(), y_train, y_test
    )
    if not enough:
        return None, why
    result = churn.train_classifier(x_train, y_train, x_test, y_test)
    if not result.auc >= churn.MIN_HOLDOUT_AUC:
        return result, "holdout_auc_too_low"
    return result, ""


def _churn_scores(
    orders: OrderArrays, customer_ids: np.ndarray, p_alive: np.ndarray | None, now: datetime
) -> tuple[np.ndarray, list[list[dict]], dict]:
    """Churn risk and reasons for ``customer_ids`` now, and a report of the method: the
    classifier when the history supports one that passes its holdout check, else the rules.
    The reasons always come from the rules, so a risk is explained either way."""
    answers = _Answers(now)
    indicators = _churn_indicators(customer_ids, orders, answers, now, p_alive)
    rules = churn.rule_scores(indicators)
    classifier, why = _churn_classifier(orders, answers, now)
    evaluation = classifier.to_json() if classifier is not None else None
    if classifier is not None and not why:
        without_p_alive = churn.Indicators(
            **{
                **indicators.__dict__,
                "p_alive": np.full(len(customer_ids), np.nan),
            }
        )
        risk = classifier.predict(churn.features(without_p_alive))
        report = {"method": "classifier", "fallback_reason": None, "evaluation": evaluation}
    else:
        risk = rules.risk
        report = {"method": "rules", "fallback_reason": why, "evaluation": evaluation}
    report["at_risk"] = int((risk >= churn.AT_RISK).sum())
    return risk, rules.reasons, report


def score_customers(*, now: datetime | None = None) -> ScoringSummary:
    """Recompute every customer's stored scores (``CustomerScore``) from their kept orders in
    the default currency: RFM for each customer with an order, and P(alive), expected
    purchases over 12 months and CLV from BG/NBD and Gamma-Gamma fitted once on all of them
    (left empty, with the reason in the summary, when the data cannot support a fit), and the
    churn risk with its reasons (``_churn_scores``; the summary says which method), and each
    customer's persona (``build_personas``; the ``Persona`` rows replaced too). Replaces
    every score row in one transaction (customers without orders have none) and records the
    run's summary (``ScoringRun``); emits nothing."""
    started = time.perf_counter()
    stages: dict[str, float] = {}
    lap = [started]

    def finished(stage: str) -> None:
        moment = time.perf_counter()
        stages[stage] = round(moment - lap[0], 2)
        lap[0] = moment

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    read = list_kept_order_arrays(currency=settings.KESHENG_DEFAULT_CURRENCY, end=now)
    orders = OrderArrays(*churn.sort_orders(read.customer_pks, read.order_dates, read.amounts))
    finished("read_orders")
    table = rfm.compute_rfm(orders.customer_pks, orders.order_dates, orders.amounts, as_of=today)
    finished("rfm")
    if len(table.customer_ids):
        values, clv_error, bgnbd, gamma_gamma = _lifetime_values(orders, today, table.customer_ids)
    else:
        values = {"p_alive": None, "expected": None, "clv": None}
        clv_error = {"model": "bgnbd", "code": "no_customers", "message": "there are no orders"}
        bgnbd, gamma_gamma = {}, {}
    finished("clv")
    p_alive, expected, lifetime = values["p_alive"], values["expected"], values["clv"]
    risk, reasons, churn_report = _churn_scores(orders, table.customer_ids, p_alive, now)
    finished("churn")
    groups = build_personas(
        table.customer_ids, table.recency_days, table.frequency, table.monetary, now=now
    )
    finished("personas")
    columns = _score_columns(table, p_alive, expected, lifetime, risk, reasons, groups)
    counts = np.bincount(table.segment, minlength=len(rfm.SEGMENTS))
    with transaction.atomic():
        CustomerScore.objects.all().delete()
        _write_scores(columns, method=churn_report["method"], now=now)
        save_personas(groups)
        finished("write_scores")
        summary = ScoringSummary(
            customers=len(table.customer_ids),
            orders=len(orders.customer_pks),
            computed_at=now,
            seconds=round(time.perf_counter() - started, 2),
            segments={key: int(count) for key, count in zip(rfm.SEGMENTS, counts, strict=True)},
            clv_error=clv_error,
            bgnbd=bgnbd or None,
            gamma_gamma=gamma_gamma or None,
            churn=churn_report,
            personas=groups.to_json(),
            stages=stages,
        )
        # The run's report (churn method, AUC and lift) for the analytics page.
        ScoringRun.objects.create(
            computed_at=now,
            customers=summary.customers,
            orders=summary.orders,
            summary=summary.to_json(),
        )
    return summary


def _optional(values: np.ndarray | None, count: int, digits: int | None = None) -> list:
    """Python floats (rounded to cents when ``digits``), None for NaN or a missing array."""
    if values is None:
        return [None] * count
    rounded = np.round(values, digits) if digits is not None else values
    return [None if value != value else value for value in rounded.tolist()]


def _score_columns(table, p_alive, expected, lifetime, risk, reasons, groups) -> dict[str, list]:
    """The stored columns of every score row, as plain Python lists in customer order: made
    from whole arrays at once rather than one model instance per customer."""
    count = len(table.customer_ids)
    return {
        "customer_id": table.customer_ids.tolist(),
        "r": table.r.tolist(),
        "f": table.f.tolist(),
        "m": table.m.tolist(),
        "segment": table.segment_keys,
        "recency_days": table.recency_days.tolist(),
        "frequency": table.frequency.tolist(),
        "monetary": np.round(table.monetary, 2).tolist(),
        "p_alive": _optional(p_alive, count),
        "expected_purchases": _optional(expected, count),
        "clv": _optional(lifetime, count, digits=2),
        "churn_risk": np.asarray(risk, dtype=np.float64).tolist(),
        "churn_reasons": reasons,
        "persona": [None] * count if groups.labels is None else groups.labels.tolist(),
    }


_COPY_CHUNK = 50_000  # rows encoded per round of COPY


def _write_scores(columns: dict[str, list], *, method: str, now: datetime) -> None:
    """Insert the score rows: with COPY on PostgreSQL (a million rows in seconds rather than
    the minutes of INSERTs or the building of a million model instances), as model instances
    in batches elsewhere. Money columns are rounded to cents as ``_money`` does."""
    names = list(columns)
    count = len(columns["customer_id"])
    if connection.vendor != "postgresql":
        rows = [
            CustomerScore(
                **{
                    name: (
                        _money(columns[name][i])
                        if name in ("monetary", "clv") and columns[name][i] is not None
                        else columns[name][i]
                    )
                    for name in names
                },
                churn_method=method,
                computed_at=now,
            )
            for i in range(count)
        ]
        CustomerScore.objects.bulk_create(rows, batch_size=2000)
        return
    fields = [*names, "churn_method", "computed_at"]
    table = connection.ops.quote_name(CustomerScore._meta.db_table)
    column_list = ", ".join(
        connection.ops.quote_name(CustomerScore._meta.get_field(name).column) for name in fields
    )
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    # COPY's text format: tab-separated, \N for null, backslashes doubled; every column made
    # into strings at once, then joined line by line.
    text = {
        name: _copy_texts(values) for name, values in columns.items() if name != "churn_reasons"
    }
    text["churn_reasons"] = [
        dumps(reasons).replace("\\", "\\\\") for reasons in columns["churn_reasons"]
    ]
    tail = f"\t{method}\t{now.isoformat()}\n"
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy,
    ):
        for chunk_start in range(0, count, _COPY_CHUNK):
            chunk = [text[name][chunk_start : chunk_start + _COPY_CHUNK] for name in names]
            copy.write("".join("\t".join(row) + tail for row in zip(*chunk, strict=True)))


def _copy_texts(values: list) -> list[str]:
    """Values as COPY text: None as \\N, the rest by ``str`` (ints, floats, plain codes)."""
    return ["\\N" if value is None else str(value) for value in values]


def merge_customer_scores(merged_pk: int, surviving_pk: int) -> None:
    """Merge handler (one score row per customer): both rows describe half a history, so both
    go; the next scoring run scores the merged profile on all its orders."""
    CustomerScore.objects.filter(customer_id__in=[merged_pk, surviving_pk]).delete()
