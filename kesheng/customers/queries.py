"""Reads of customer profiles: lookup by any identity, lists with search, profile, timeline."""

import contextlib
import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kesheng.core.errors import NotFound
from kesheng.core.ingest import chunked
from kesheng.customers.contributions import (
    ListColumn,
    TimelineCursor,
    TimelineDisplay,
    TimelineEntry,
    list_column_groups,
    profile_panels,
    profile_sections,
    timeline_presenters,
    timeline_sources,
)
from kesheng.customers.identity import normalize_identity
from kesheng.customers.models import Consent, Customer, Identity, IdentityKind, Segment, Tag


def _unknown_customer(customer_id: str) -> NotFound:
    return NotFound(
        _("no customer with customer_id %(customer_id)s") % {"customer_id": repr(customer_id)},
        field="customer_id",
    )


def get_customer(customer_id: str) -> Customer:
    """The customer a public id points at, following merges (a merged id still resolves)."""
    if "\x00" in str(customer_id):
        # No stored id holds NUL (every door refuses it), and PostgreSQL fails on it in a query.
        raise _unknown_customer(customer_id)
    identity = (
        Identity.objects.filter(kind=IdentityKind.CUSTOMER_ID, value=str(customer_id).strip())
        .select_related("customer")
        .first()
    )
    if identity is None:
        raise _unknown_customer(customer_id)
    return identity.customer


def get_customer_detail(customer_id: str) -> Customer:
    """The customer with identities, consents and tags prefetched, for the 360 page and API."""
    customer = get_customer(customer_id)
    return (
        Customer.objects.filter(pk=customer.pk)
        .prefetch_related(
            Prefetch("identities", queryset=Identity.objects.order_by("kind", "value")),
            Prefetch("consents", queryset=Consent.objects.order_by("channel", "purpose")),
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
        )
        .get()
    )


def map_customer_ids(customer_ids: Iterable[str]) -> dict[str, int]:
    """Public customer ids -> primary keys for the ones that exist (merged ids included)."""
    wanted = sorted({str(value).strip() for value in customer_ids if value})
    found: dict[str, int] = {}
    for chunk in chunked(wanted, 900):
        found.update(
            Identity.objects.filter(kind=IdentityKind.CUSTOMER_ID, value__in=chunk).values_list(
                "value", "customer_id"
            )
        )
    return found


def list_customers(
    *,
    search: str = "",
    city: str = "",
    tag: str = "",
    gender: str = "",
) -> QuerySet[Customer]:
    """Customers matching a free-text search (name, customer id, email, phone, WeChat id) and
    filters, newest first, with tags prefetched."""
    if any("\x00" in value for value in (search, city, tag, gender)):
        # Nothing stored holds NUL (every door refuses it), and PostgreSQL fails on it in a query.
        return Customer.objects.none()
    customers = Customer.objects.all()
    text = search.strip()
    if text:
        identity_values = {text, text.lower()}
        for kind in ("phone", "email"):
            with contextlib.suppress(ValueError):
                identity_values.add(normalize_identity(kind, text))
        customers = customers.filter(
            Q(name__icontains=text)
            | Q(customer_id__icontains=text)
            | Q(
                pk__in=Identity.objects.filter(
                    Q(value__in=identity_values) | Q(value__icontains=text)
                ).values("customer_id")
            )
        )
    if city:
        customers = customers.filter(city=city)
    if tag:
        customers = customers.filter(tags__name=tag)
    if gender:
        customers = customers.filter(gender=gender)
    return customers.prefetch_related("tags").order_by("-created_at", "-id")


def list_cities() -> list[str]:
    return list(
        Customer.objects.exclude(city="").values_list("city", flat=True).distinct().order_by("city")
    )


def list_tags() -> list[str]:
    return list(Tag.objects.values_list("name", flat=True).order_by("name"))


def get_profile_sections(customer: Customer) -> dict[str, Any]:
    """What the higher apps add to a profile (orders summary, later points and cases)."""
    return {name: section(customer.pk) for name, section in sorted(profile_sections.items())}


def list_timeline(
    customer: Customer, *, cursor: TimelineCursor | None = None, limit: int = 50
) -> tuple[list[TimelineEntry], TimelineCursor | None]:
    """The customer's events, orders and every other registered source, newest first.

    Each source returns at most ``limit + 1`` entries after ``cursor``; merging them and keeping
    the first ``limit`` gives one page in one query per source. The returned cursor fetches the
    next page, or is None at the end.
    """
    limit = max(1, min(limit, 200))
    streams = [source(customer.pk, cursor, limit + 1) for source in timeline_sources.values()]
    merged = heapq.merge(*streams, key=lambda entry: entry.sort_key, reverse=True)
    page: list[TimelineEntry] = []
    for entry in merged:
        page.append(entry)
        if len(page) > limit:
            break
    if len(page) > limit:
        page = page[:limit]
        last = page[-1]
        return page, TimelineCursor(occurred_at=last.occurred_at, kind=last.kind, id=last.id)
    return page, None


# --- the staff pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerListRow:
    customer: Customer
    cells: list[Any]


@dataclass(frozen=True)
class CustomerListPage:
    """One page of the staff customer list, with the columns higher apps add and the choices
    the filters offer."""

    page: Page
    columns: list[ListColumn]
    rows: list[CustomerListRow]
    cities: list[str]
    tags: list[str]


def get_customer_list_page(
    *,
    search: str = "",
    city: str = "",
    tag: str = "",
    gender: str = "",
    page_number: int | str | None = 1,
    per_page: int = 25,
) -> CustomerListPage:
    """A page of ``list_customers`` plus each registered column group's values for that page.

    Every column group runs one query for the whole page, so the number of queries does not grow
    with the number of rows.
    """
    customers = list_customers(search=search, city=city, tag=tag, gender=gender)
    page = Paginator(customers, per_page).get_page(page_number)
    page_customers = list(page.object_list)
    pks = [customer.pk for customer in page_customers]
    columns: list[ListColumn] = []
    values_by_group: list[tuple[tuple[ListColumn, ...], dict[int, dict[str, Any]]]] = []
    for _name, group in sorted(list_column_groups.items()):
        columns.extend(group.columns)
        values_by_group.append((group.columns, group.values(pks) if pks else {}))
    rows = []
    for customer in page_customers:
        cells: list[Any] = []
        for group_columns, values in values_by_group:
            customer_values = values.get(customer.pk, {})
            cells.extend(customer_values.get(column.key) for column in group_columns)
        rows.append(CustomerListRow(customer=customer, cells=cells))
    return CustomerListPage(
        page=page, columns=columns, rows=rows, cities=list_cities(), tags=list_tags()
    )


@dataclass(frozen=True)
class ShownPanel:
    name: str
    title: Any
    template_name: str
    context: dict[str, Any]


@dataclass(frozen=True)
class TimelineItem:
    entry: TimelineEntry
    display: TimelineDisplay


@dataclass(frozen=True)
class Customer360:
    """Everything the customer-360 page shows about one customer."""

    customer: Customer
    panels: list[ShownPanel]
    timeline: list[TimelineItem]
    older_cursor: TimelineCursor | None


def present_timeline_entry(entry: TimelineEntry) -> TimelineDisplay:
    """How an entry reads on the page: its source's presenter, or its own fields as they are."""
    presenter = timeline_presenters.get(entry.kind)
    if presenter is not None:
        return presenter(entry)
    return TimelineDisplay(title=entry.title, channel=entry.channel, touchpoint=entry.touchpoint)


def list_timeline_items(
    customer: Customer, *, cursor: TimelineCursor | None = None, limit: int = 30
) -> tuple[list[TimelineItem], TimelineCursor | None]:
    """One page of the timeline as it reads on a page (the 360 page, a case beside it)."""
    entries, older_cursor = list_timeline(customer, cursor=cursor, limit=limit)
    items = [TimelineItem(entry=entry, display=present_timeline_entry(entry)) for entry in entries]
    return items, older_cursor


def get_customer_360(
    customer_id: str, *, cursor: TimelineCursor | None = None, timeline_limit: int = 30
) -> Customer360:
    """The profile (identities, consents, tags), each registered panel and one timeline page.

    ``customer_id`` may be a merged profile's old id; the surviving customer comes back, and
    the caller can tell by comparing ``customer.customer_id``.
    """
    customer = get_customer_detail(customer_id)
    panels = [
        ShownPanel(
            name=name,
            title=panel.title,
            template_name=panel.template_name,
            context=panel.context(customer.pk),
        )
        for name, panel in sorted(profile_panels.items(), key=lambda item: (item[1].order, item[0]))
    ]
    timeline, older_cursor = list_timeline_items(customer, cursor=cursor, limit=timeline_limit)
    return Customer360(
        customer=customer, panels=panels, timeline=timeline, older_cursor=older_cursor
    )


# --- segments ----------------------------------------------------------------------------------


def get_segment(segment_id: int | str) -> Segment:
    """One segment by id; NotFound (field ``segment``) when there is none."""
    try:
        return Segment.objects.get(pk=int(segment_id))
    except (Segment.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(
            _("no segment with id %(segment_id)s") % {"segment_id": repr(segment_id)},
            field="segment",
        ) from None


def list_segments() -> QuerySet[Segment]:
    """Every segment by name, with its last member count (``member_count``, ``counted_at``)."""
    return Segment.objects.select_related("created_by").order_by("name", "pk")


def segment_members(segment: Segment, *, now: datetime | None = None) -> QuerySet[Customer]:
    """The customers the segment's rules select now, as one database query (chain ``filter``,
    ``values_list`` or ``count`` on it); ordered by primary key."""
    from kesheng.customers.segments import compile_rules

    return Customer.objects.filter(compile_rules(segment.rules, now=now)).order_by("pk")


def count_segment_members(segment: Segment, *, now: datetime | None = None) -> int:
    """How many customers the segment selects now (one COUNT query; nothing is stored)."""
    return segment_members(segment, now=now).order_by().count()


def preview_segment(rules: Any, *, limit: int = 10, now: datetime | None = None):
    """For the rules builder: (member count, the first ``limit`` members, newest first) of rules
    not yet saved. Raises InvalidInput like ``create_segment`` for bad rules."""
    from kesheng.customers.segments import compile_rules, validate_rules

    condition = compile_rules(validate_rules(rules), now=now)
    members = Customer.objects.filter(condition)
    return members.count(), list(members.order_by("-created_at", "-pk")[:limit])
