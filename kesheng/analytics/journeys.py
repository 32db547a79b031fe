"""Customer journeys over touchpoint events (pure NumPy, no Django; docs/analytics.md,
"Journeys"): ordered funnels with a conversion window, and the most common paths before a
moment (a purchase, a complaint).

Everything works on whole arrays: one sort of the events, one ``searchsorted`` per funnel step
or per path, never a loop over customers. Times are whole seconds (any epoch).

**Funnel.** A customer enters at their first event of step 1. They reach step s at their
first event of step s at or after the moment they reached step s − 1, if that is within the
window from their entry. Drop-off between two steps is the customers who reached the first and
not the second; the time between two steps is the time from reaching one to reaching the next.

**Paths.** For each anchor moment (an order, a complaint), the last ``length`` steps the same
customer took strictly before it within ``lookback`` seconds, oldest first. Consecutive events
at the same step count once (a customer browsing the app five times in a row took one step),
from the first event of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Composite sort key: customer rank in the high bits, seconds since the earliest event in the
# low 32 bits (136 years of seconds).
_TIME_BITS = 32
NO_STEP = -1


def _keys(ranks: NDArray[np.int64], seconds: NDArray[np.int64], origin: int) -> NDArray[np.int64]:
    return (ranks << _TIME_BITS) | (seconds - origin)


@dataclass(frozen=True)
class FunnelStep:
    """One step of a funnel: how many reached it, and how long after the previous step."""

    reached: int
    # Seconds from reaching the previous step, among those who reached this one (None for the
    # first step or when nobody reached it).
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class Funnel:
    """``steps`` in order; ``by_channel[c][s]`` is how many who entered on channel ``c`` (the
    channel of their first step-1 event) reached step ``s``."""

    steps: list[FunnelStep]
    channels: NDArray[np.int64]  # channel codes present among the entries, ascending
    by_channel: NDArray[np.int64]  # shape (len(channels), len(steps))

    @property
    def entered(self) -> int:
        return self.steps[0].reached if self.steps else 0


def _quantile(values: NDArray[np.float64], q: float) -> float | None:
    return float(np.quantile(values, q)) if len(values) else None


def compute_funnel(
    customers: ArrayLike,
    seconds: ArrayLike,
    channels: ArrayLike,
    step_masks: list[NDArray[np.bool_]],
    *,
    window_seconds: int,
) -> Funnel:
    """The ordered funnel of ``step_masks`` (one boolean mask over the events per step) within
    ``window_seconds`` from each customer's entry. ``channels`` are integer codes of the events'
    channels."""
    customer = np.asarray(customers, dtype=np.int64)
    time = np.asarray(seconds, dtype=np.int64)
    channel = np.asarray(channels, dtype=np.int64)
    if not step_masks:
        raise ValueError("a funnel needs at least one step")
    order = np.lexsort((time, customer))
    customer, time, channel = customer[order], time[order], channel[order]
    masks = [np.asarray(mask, dtype=bool)[order] for mask in step_masks]
    origin = int(time.min()) if len(time) else 0

    first = masks[0]
    entered, first_index = np.unique(customer[first], return_index=True)
    entry_time = time[first][first_index]
    entry_channel = channel[first][first_index]
    if not len(entered):
        empty = FunnelStep(reached=0, median_seconds=None, p90_seconds=None)
        return Funnel(
            steps=[empty] * len(masks),
            channels=np.zeros(0, dtype=np.int64),
            by_channel=np.zeros((0, len(masks)), dtype=np.int64),
        )
    deadline = entry_time + window_seconds
    current = entry_time.copy()
    alive = np.ones(len(entered), dtype=bool)
    reached_mask = [alive.copy()]
    steps = [FunnelStep(reached=int(alive.sum()), median_seconds=None, p90_seconds=None)]
    ranks_all = np.arange(len(entered), dtype=np.int64)

    for mask in masks[1:]:
        step_customer, step_time = customer[mask], time[mask]
        rank = np.searchsorted(entered, step_customer)
        known = (rank < len(entered)) & (
            entered[np.minimum(rank, len(entered) - 1)] == step_customer
        )
        keys = _keys(rank[known].astype(np.int64), step_time[known], origin)
        step_time = step_time[known]
        # Sorted by (customer, time) already, so the keys are ascending.
        wanted = _keys(ranks_all, current, origin)
        position = np.searchsorted(keys, wanted, side="left")
        inside = position < len(keys)
        found = np.zeros(len(entered), dtype=bool)
        found_time = np.zeros(len(entered), dtype=np.int64)
        if len(keys):
            candidate = np.minimum(position, len(keys) - 1)
            same_customer = (keys[candidate] >> _TIME_BITS) == ranks_all
            found_time = step_time[candidate]
            found = inside & same_customer & (found_time <= deadline)
        now_alive = alive & found
        gaps = (found_time[now_alive] - current[now_alive]).astype(np.float64)
        current = np.where(now_alive, found_time, current)
        alive = now_alive
        reached_mask.append(alive.copy())
        steps.append(
            FunnelStep(
                reached=int(alive.sum()),
                median_seconds=_quantile(gaps, 0.5),
                p90_seconds=_quantile(gaps, 0.9),
            )
        )

    codes, channel_index = np.unique(entry_channel, return_inverse=True)
    by_channel = (
        np.stack(
            [
                np.bincount(channel_index.ravel()[reached], minlength=len(codes))
                for reached in reached_mask
            ],
            axis=1,
        ).astype(np.int64)
        if len(codes)
        else np.zeros((0, len(steps)), dtype=np.int64)
    )
    return Funnel(steps=steps, channels=codes.astype(np.int64), by_channel=by_channel)


@dataclass(frozen=True)
class Paths:
    """The distinct paths (rows of step codes, oldest first, left-padded with ``NO_STEP``) and
    how many anchors each preceded, most common first; ``anchors`` counts every anchor and
    ``with_path`` those with at least one step before them."""

    rows: NDArray[np.int64]
    counts: NDArray[np.int64]
    anchors: int
    with_path: int


def collapse_repeats(
    customers: NDArray[np.int64], seconds: NDArray[np.int64], steps: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """A mask over events sorted by (customer, time) keeping the first of each run of
    consecutive events at the same step by the same customer."""
    keep = np.ones(len(customers), dtype=bool)
    if len(customers) > 1:
        keep[1:] = (customers[1:] != customers[:-1]) | (steps[1:] != steps[:-1])
    return keep


def compute_paths(
    customers: ArrayLike,
    seconds: ArrayLike,
    steps: ArrayLike,
    anchor_customers: ArrayLike,
    anchor_seconds: ArrayLike,
    *,
    length: int,
    lookback_seconds: int,
) -> Paths:
    """The paths of ``length`` steps before each anchor (see the module's docstring); ``steps``
    are integer step codes (≥ 0) of the events."""
    customer = np.asarray(customers, dtype=np.int64)
    time = np.asarray(seconds, dtype=np.int64)
    step = np.asarray(steps, dtype=np.int64)
    anchor_customer = np.asarray(anchor_customers, dtype=np.int64)
    anchor_time = np.asarray(anchor_seconds, dtype=np.int64)
    anchors = len(anchor_customer)
    empty = Paths(
        rows=np.zeros((0, length), dtype=np.int64),
        counts=np.zeros(0, dtype=np.int64),
        anchors=anchors,
        with_path=0,
    )
    if not len(customer) or not anchors:
        return empty
    order = np.lexsort((time, customer))
    customer, time, step = customer[order], time[order], step[order]
    keep = collapse_repeats(customer, time, step)
    customer, time, step = customer[keep], time[keep], step[keep]
    origin = int(min(time.min(), anchor_time.min()))
    # Anchor customers without events get a rank past every event's customer.
    ids = np.unique(customer)
    event_rank = np.searchsorted(ids, customer).astype(np.int64)
    anchor_rank = np.searchsorted(ids, anchor_customer).astype(np.int64)
    known = (anchor_rank < len(ids)) & (
        ids[np.minimum(anchor_rank, len(ids) - 1)] == anchor_customer
    )
    anchor_rank = np.where(known, anchor_rank, len(ids))
    keys = _keys(event_rank, time, origin)
    wanted = _keys(anchor_rank, np.maximum(anchor_time, origin), origin)
    before = np.searchsorted(keys, wanted, side="left")  # events strictly before the anchor
    offsets = np.arange(length, 0, -1, dtype=np.int64)  # oldest first
    index = before[:, None] - offsets[None, :]
    clipped = np.clip(index, 0, len(keys) - 1)
    valid = (
        (index >= 0)
        & (event_rank[clipped] == anchor_rank[:, None])
        & (time[clipped] >= (anchor_time - lookback_seconds)[:, None])
    )
    rows = np.where(valid, step[clipped], NO_STEP)
    has_path = valid.any(axis=1)
    if not has_path.any():
        return empty
    unique, counts = np.unique(rows[has_path], axis=0, return_counts=True)
    # Most common first; ties in the order of the step codes.
    ranking = np.lexsort((*unique.T[::-1], -counts))
    return Paths(
        rows=unique[ranking].astype(np.int64),
        counts=counts[ranking].astype(np.int64),
        anchors=anchors,
        with_path=int(has_path.sum()),
    )


def funnel_to_json(funnel: Funnel) -> dict[str, Any]:
    """The numbers of a funnel as plain values (conversion from the entry and from the step
    before, drop-off), for callers that add labels."""
    entered = funnel.entered
    steps = []
    previous = entered
    for step in funnel.steps:
        steps.append(
            {
                "customers": step.reached,
                "conversion": round(step.reached / entered, 4) if entered else None,
                "step_conversion": round(step.reached / previous, 4) if previous else None,
                "drop_off": previous - step.reached,
                "median_hours": None
                if step.median_seconds is None
                else round(step.median_seconds / 3600, 2),
                "p90_hours": None
                if step.p90_seconds is None
                else round(step.p90_seconds / 3600, 2),
            }
        )
        previous = step.reached
    return {"entered": entered, "steps": steps}
