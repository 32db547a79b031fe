"""Extension points through which higher apps add to a customer's profile without being imported.

``customers`` sits low in the layers, yet the customer-360 page and the API show orders, events
and (in later apps) cases, points and scores. Each higher app registers here, in its
``AppConfig.ready()``:

- a **timeline source**: returns that app's timeline entries for one customer, newest first;
- a **profile section**: a dict merged into the customer's profile under the section's name
  (e.g. ``orders`` -> count, total, last order);
- a **merge handler**: moves that app's rows from a merged profile to the surviving one when a
  plain foreign-key update is not enough (unique per-customer rows). Rows with a plain foreign
  key to ``Customer`` are moved by ``merge_customers`` without any handler.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    """One thing on a customer's timeline. ``kind`` names the source ("event", "order")."""

    kind: str
    id: int
    occurred_at: datetime
    title: str
    channel: str | None = None
    touchpoint: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple:
        return (self.occurred_at, self.kind, self.id)


@dataclass(frozen=True)
class TimelineCursor:
    """Position in a timeline: entries strictly older than (occurred_at, kind, id) come next."""

    occurred_at: datetime
    kind: str
    id: int


# source(customer_pk, cursor_or_None, limit) -> entries newest first, at most ``limit``
TimelineSource = Callable[[int, TimelineCursor | None, int], list[TimelineEntry]]
ProfileSection = Callable[[int], dict[str, Any]]
MergeHandler = Callable[[int, int], None]  # (merged customer pk, surviving customer pk)

timeline_sources: dict[str, TimelineSource] = {}
profile_sections: dict[str, ProfileSection] = {}
merge_handlers: dict[str, MergeHandler] = {}


def register_timeline_source(kind: str, source: TimelineSource) -> None:
    timeline_sources[kind] = source


def register_profile_section(name: str, section: ProfileSection) -> None:
    profile_sections[name] = section


def register_merge_handler(model_label: str, handler: MergeHandler) -> None:
    """``model_label`` ("app_label.ModelName") tells merge_customers not to move it generically."""
    merge_handlers[model_label] = handler


def cursor_filter(cursor: TimelineCursor | None, *, kind: str, time_field: str):
    """The ORM filter that selects a source's entries after ``cursor`` in timeline order.

    Timeline order is (occurred_at, kind, id) descending, so an entry comes after the cursor when
    its time is earlier, or equal with a smaller kind, or equal time and kind with a smaller id.
    """
    from django.db.models import Q

    if cursor is None:
        return Q()
    if kind < cursor.kind:
        return Q(**{f"{time_field}__lte": cursor.occurred_at})
    if kind > cursor.kind:
        return Q(**{f"{time_field}__lt": cursor.occurred_at})
    return Q(**{f"{time_field}__lt": cursor.occurred_at}) | Q(
        **{time_field: cursor.occurred_at, "pk__lt": cursor.id}
    )


# --- the staff pages --------------------------------------------------------------------------
# The customer list and the customer-360 page are built in ``customers``, but most of what they
# show belongs to higher apps. These registries let each app add its columns, panels and the way
# its timeline entries read, without ``customers`` importing it.


@dataclass(frozen=True)
class ListColumn:
    """A column a higher app adds to the staff customer list; ``label`` is a lazy translation."""

    key: str
    label: Any
    is_numeric: bool = False


# values(customer_pks) -> {customer_pk: {column key: display value}}, one query for a whole page
ListValues = Callable[[list[int]], dict[int, dict[str, Any]]]


@dataclass(frozen=True)
class ListColumnGroup:
    columns: tuple[ListColumn, ...]
    values: ListValues


@dataclass(frozen=True)
class ProfilePanel:
    """A panel on the customer-360 page: the template that draws it and its context.

    ``context(customer_pk)`` runs a fixed number of queries whatever the customer's history.
    """

    title: Any
    template_name: str
    context: Callable[[int], dict[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class TimelineDisplay:
    """How one timeline entry reads on the 360 page, in the active language."""

    title: str
    channel: str | None = None
    touchpoint: str | None = None
    journey_stage: str | None = None
    details: tuple[str, ...] = ()


TimelinePresenter = Callable[[TimelineEntry], TimelineDisplay]

list_column_groups: dict[str, ListColumnGroup] = {}
profile_panels: dict[str, ProfilePanel] = {}
timeline_presenters: dict[str, TimelinePresenter] = {}


def register_list_columns(name: str, *, columns: list[ListColumn], values: ListValues) -> None:
    list_column_groups[name] = ListColumnGroup(columns=tuple(columns), values=values)


def register_profile_panel(name: str, panel: ProfilePanel) -> None:
    profile_panels[name] = panel


def register_timeline_presenter(kind: str, presenter: TimelinePresenter) -> None:
    timeline_presenters[kind] = presenter
