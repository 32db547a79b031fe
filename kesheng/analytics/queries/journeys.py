"""Reads behind the journey analytics (docs/analytics.md, "Journeys"): funnels over the
touchpoint events and the most common paths before a purchase or a complaint. The events are
read once as arrays (``tracking.queries.list_event_arrays``) and the models in
``kesheng.analytics.journeys`` work on them whole."""

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.analytics import journeys
from kesheng.cases.queries import list_case_openings
from kesheng.commerce.queries import list_kept_order_moments
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.feedback.queries import list_complaint_moments
from kesheng.tracking.queries import (
    EventArrays,
    get_step_labels,
    list_event_arrays,
    list_event_types,
)

MIN_STEPS, MAX_STEPS = 2, 8
DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS = 30, 365
BEFORE_CHOICES = ("purchase", "complaint")
DEFAULT_PATH_LENGTH, MAX_PATH_LENGTH = 3, 6
DEFAULT_PATH_DAYS, MAX_PATH_DAYS = 365, 730
DEFAULT_PATH_TOP, MAX_PATH_TOP = 10, 50
PATH_LOOKBACK_DAYS = 30
# The event type that marks a complaint in the touchpoint events.
COMPLAINT_EVENT_TYPE = "complaint"


def _whole(value: Any, default: int, low: int, high: int, field: str, errors: list) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
        if not low <= number <= high:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(
            FieldError(
                field,
                _("a whole number from %(low)d to %(high)d") % {"low": low, "high": high},
            )
        )
        return default
    return number


def known_steps() -> set[str]:
    """Every touchpoint code and every event type recorded: what a funnel step may name."""
    labels = get_step_labels()
    return set(labels) | set(list_event_types())


def parse_funnel_options(steps: Any, window_days: Any) -> tuple[list[str], int]:
    """The funnel's steps (comma-separated touchpoint codes or event types) and window;
    ``InvalidInput`` naming ``steps`` or ``window_days`` otherwise. Nothing is read when the
    shape is wrong; the step names are checked against the recorded ones."""
    errors: list[FieldError] = []
    names = [name.strip() for name in str(steps or "").split(",") if name.strip()]
    window = _whole(window_days, DEFAULT_WINDOW_DAYS, 1, MAX_WINDOW_DAYS, "window_days", errors)
    if not MIN_STEPS <= len(names) <= MAX_STEPS:
        errors.append(
            FieldError(
                "steps",
                _("between %(low)d and %(high)d comma-separated steps")
                % {"low": MIN_STEPS, "high": MAX_STEPS},
            )
        )
    elif len(set(names)) != len(names):
        errors.append(FieldError("steps", _("a step appears twice")))
    else:
        unknown = [name for name in names if name not in known_steps()]
        if unknown:
            errors.append(
                FieldError(
                    "steps",
                    _("not a touchpoint code or event type: %(names)s")
                    % {"names": ", ".join(unknown)},
                )
            )
    if errors:
        raise InvalidInput(errors)
    return names, window


def compute_funnel_report(steps: Any, window_days: Any = DEFAULT_WINDOW_DAYS) -> dict[str, Any]:
    """The ordered funnel of ``steps`` over every customer's events, whole and by the channel
    of the entry: customers, conversion from the entry and from the step before, drop-off and
    hours between steps (median and 90th percentile)."""
    names, window = parse_funnel_options(steps, window_days)
    events = list_event_arrays(steps=names)
    masks = [(events.touchpoints == name) | (events.types == name) for name in names]
    channel_codes, channel_index = np.unique(events.channels, return_inverse=True)
    funnel = journeys.compute_funnel(
        events.customer_pks,
        events.seconds,
        channel_index.ravel(),
        masks,
        window_seconds=window * 86400,
    )
    labels = get_step_labels()
    body = journeys.funnel_to_json(funnel)
    for name, step in zip(names, body["steps"], strict=True):
        step["step"] = name
        step["label"] = labels.get(name, name)
    by_channel = []
    for row, code_index in enumerate(funnel.channels.tolist()):
        counts = funnel.by_channel[row].tolist()
        code = str(channel_codes[code_index])
        by_channel.append(
            {
                "channel": code,
                "label": labels.get(code, code),
                "entered": counts[0],
                "customers": counts,
                "conversion": round(counts[-1] / counts[0], 4) if counts[0] else None,
            }
        )
    by_channel.sort(key=lambda row: (-row["entered"], row["channel"]))
    return {
        "steps": body["steps"],
        "window_days": window,
        "entered": body["entered"],
        "converted": body["steps"][-1]["customers"],
        "by_channel": by_channel,
    }


def parse_path_options(before: Any, length: Any, days: Any, top: Any) -> tuple[str, int, int, int]:
    errors: list[FieldError] = []
    if before not in BEFORE_CHOICES:
        errors.append(FieldError("before", _("choose purchase or complaint")))
    size = _whole(length, DEFAULT_PATH_LENGTH, 1, MAX_PATH_LENGTH, "length", errors)
    period = _whole(days, DEFAULT_PATH_DAYS, 1, MAX_PATH_DAYS, "days", errors)
    count = _whole(top, DEFAULT_PATH_TOP, 1, MAX_PATH_TOP, "top", errors)
    if errors:
        raise InvalidInput(errors)
    return str(before), size, period, count


def _seconds(moments: list[datetime]) -> np.ndarray:
    return np.array([int(moment.timestamp()) for moment in moments], dtype=np.int64)


def _first_per_customer_day(
    customers: np.ndarray, seconds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One complaint per customer and day (a complaint event, its case and its form are one
    complaint): the earliest."""
    order = np.lexsort((seconds, customers))
    customers, seconds = customers[order], seconds[order]
    day = seconds // 86400
    first = np.ones(len(customers), dtype=bool)
    first[1:] = (customers[1:] != customers[:-1]) | (day[1:] != day[:-1])
    return customers[first], seconds[first]


def _anchors(before: str, start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray]:
    if before == "purchase":
        pks, moments = list_kept_order_moments(start=start, end=end)
        return np.array(pks, dtype=np.int64), _seconds(moments)
    case_pks, case_moments = list_case_openings(start=start, end=end)
    form_pks, form_moments = list_complaint_moments(start=start, end=end)
    events = list_event_arrays(start=start, end=end, steps=[COMPLAINT_EVENT_TYPE])
    is_complaint = events.types == COMPLAINT_EVENT_TYPE
    customers = np.concatenate(
        [
            np.array(case_pks, dtype=np.int64),
            np.array(form_pks, dtype=np.int64),
            events.customer_pks[is_complaint],
        ]
    )
    seconds = np.concatenate(
        [_seconds(case_moments), _seconds(form_moments), events.seconds[is_complaint]]
    )
    return _first_per_customer_day(customers, seconds)


def compute_path_report(
    before: Any,
    length: Any = DEFAULT_PATH_LENGTH,
    days: Any = DEFAULT_PATH_DAYS,
    top: Any = DEFAULT_PATH_TOP,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The ``top`` most common paths of ``length`` steps (touchpoints, or the event type for an
    event without one) before the purchases (kept orders) or complaints (cases, complaint forms
    and complaint events; one per customer and day) of the last ``days`` days, each step within
    ``PATH_LOOKBACK_DAYS`` before it."""
    kind, size, period, count = parse_path_options(before, length, days, top)
    return compute_path_reports((kind,), size, period, count, now=now)[kind]


def compute_path_reports(
    befores: tuple[str, ...] = BEFORE_CHOICES,
    length: Any = DEFAULT_PATH_LENGTH,
    days: Any = DEFAULT_PATH_DAYS,
    top: Any = DEFAULT_PATH_TOP,
    *,
    now: datetime | None = None,
) -> dict[str, dict[str, Any]]:
    """``compute_path_report`` for each of ``befores`` (by default purchase and complaint), the
    events of the period read once for all of them: the journeys page shows both, and the
    read is most of the work."""
    for before in befores:
        parse_path_options(before, length, days, top)
    _, size, period, count = parse_path_options(BEFORE_CHOICES[0], length, days, top)
    now = now or timezone.now()
    start = now - timedelta(days=period)
    lookback = timedelta(days=PATH_LOOKBACK_DAYS)
    events = list_event_arrays(start=start - lookback, end=now)
    step_names = np.where(events.touchpoints != "", events.touchpoints, events.types)
    names, codes = np.unique(step_names, return_inverse=True)
    labels = get_step_labels()
    return {
        kind: _path_report(kind, size, period, count, events, names, codes.ravel(), labels, now)
        for kind in befores
    }


def _path_report(
    kind: str,
    size: int,
    period: int,
    count: int,
    events: EventArrays,
    names: np.ndarray,
    codes: np.ndarray,
    labels: dict[str, str],
    now: datetime,
) -> dict[str, Any]:
    start = now - timedelta(days=period)
    lookback = timedelta(days=PATH_LOOKBACK_DAYS)
    anchor_customers, anchor_seconds = _anchors(kind, start, now)
    paths = journeys.compute_paths(
        events.customer_pks,
        events.seconds,
        codes,
        anchor_customers,
        anchor_seconds,
        length=size,
        lookback_seconds=int(lookback.total_seconds()),
    )
    rows = []
    for row, times in zip(paths.rows[:count].tolist(), paths.counts[:count].tolist(), strict=True):
        steps = [str(names[code]) for code in row if code != journeys.NO_STEP]
        rows.append(
            {
                "steps": steps,
                "labels": [labels.get(step, step) for step in steps],
                "count": times,
                "share": round(times / paths.with_path, 4) if paths.with_path else None,
            }
        )
    return {
        "before": kind,
        "length": size,
        "days": period,
        "lookback_days": PATH_LOOKBACK_DAYS,
        "anchors": paths.anchors,
        "with_path": paths.with_path,
        "paths": rows,
    }
