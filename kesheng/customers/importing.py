"""``kesheng import customers FILE``: customer profiles from a CSV file (docs/import-formats.md).

Every row is turned into a :class:`CustomerRecord` and checked with the same rules as
``upsert_customer`` (``normalized_identities``, ``validate_profile``) before anything is written.
The write then goes two ways:

- rows whose identities match no existing profile and no other row of the file are new people
  with nothing to resolve: they are created in bulk (a few statements per thousand rows), so a
  first load of 100,000 customers takes seconds, not the hour one upsert per row would;
- every other row goes through ``upsert_customer`` in file order, which updates the profile it
  matches and merges the profiles a row reveals to be one person.

Unknown columns are refused (a typo must not vanish into nowhere), except columns named
``attr_<name>``, whose values are stored in the customer's attributes under ``<name>``.
"""

import re
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesheng.core.errors import InvalidInput
from kesheng.core.events import emit
from kesheng.core.importing import CSV, Importer, PreparedImport, RowProblem, WriteCounts
from kesheng.core.ingest import chunked
from kesheng.core.parsing import parse_date, parse_datetime
from kesheng.customers.actions import (
    CustomerRecord,
    normalized_identities,
    upsert_customer,
    validate_profile,
)
from kesheng.customers.models import (
    Consent,
    ConsentChannel,
    ConsentPurpose,
    Customer,
    Identity,
    Tag,
)

IMPORT_SOURCE = "import"
IDENTITY_COLUMNS = ("customer_id", "email", "phone", "wechat_openid", "wechat_unionid")
PROFILE_COLUMNS = (
    "name",
    "gender",
    "birthday",
    "city",
    "occupation",
    "income_band",
    "signed_up_at",
)
LIST_COLUMNS = ("tags", "external_ids")
CONSENT_COLUMNS = {
    f"consent_{channel}_{purpose}": f"{channel}:{purpose}"
    for channel in ConsentChannel.values
    for purpose in ConsentPurpose.values
}
ATTRIBUTE_PREFIX = "attr_"
KNOWN_COLUMNS = (*IDENTITY_COLUMNS, *PROFILE_COLUMNS, *LIST_COLUMNS)
MAX_LENGTHS = {"name": 200, "city": 100, "occupation": 100}
_LIST_SEPARATOR = re.compile(r"[|;]")
_ATTRIBUTE_NAME = re.compile(r"^[a-z0-9_]{1,64}$")
# Spreadsheets in China write gender and yes/no in Chinese as often as in English.
GENDER_WORDS = {
    "female": "female",
    "f": "female",
    "女": "female",
    "male": "male",
    "m": "male",
    "男": "male",
    "other": "other",
    "其他": "other",
}
YES_WORDS = {"yes", "y", "true", "1", "是", "同意", "允许"}
NO_WORDS = {"no", "n", "false", "0", "否", "不同意", "拒绝"}


class CustomerImporter(Importer):
    kind = "customers"
    file_format = CSV
    description = _(
        "customer_id,name,email,phone,gender,birthday,city,signed_up_at and optional "
        "identity, profile, tags, consent_<channel>_<purpose> and attr_<name> columns"
    )

    def check_columns(self, columns: list[str]) -> list[RowProblem]:
        problems = []
        seen: set[str] = set()
        for column in columns:
            if column in seen:
                problems.append(RowProblem(1, column, "appears twice in the header"))
            seen.add(column)
            if column.startswith(ATTRIBUTE_PREFIX):
                if not _ATTRIBUTE_NAME.match(column[len(ATTRIBUTE_PREFIX) :]):
                    problems.append(
                        RowProblem(
                            1, column, "an attribute name is 1 to 64 of a-z, 0-9 and _ after attr_"
                        )
                    )
            elif column not in KNOWN_COLUMNS and column not in CONSENT_COLUMNS:
                problems.append(
                    RowProblem(
                        1,
                        column,
                        "is not a customer column (see docs/import-formats.md; "
                        f"name it {ATTRIBUTE_PREFIX}{_attribute_hint(column)} to keep it as an "
                        "attribute)",
                    )
                )
        if not seen & {*IDENTITY_COLUMNS, "external_ids"}:
            problems.append(
                RowProblem(
                    1,
                    "customer_id",
                    "the header needs at least one identity column "
                    f"({', '.join((*IDENTITY_COLUMNS, 'external_ids'))})",
                )
            )
        return problems

    def prepare(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> PreparedImport:
        zone = ZoneInfo(settings.TIME_ZONE)
        result = PreparedImport()
        parsed: list[ParsedCustomer] = []
        for row_number, values in rows:
            record, problems = parse_customer_row(row_number, values, zone)
            # Both checks run even when the cells already had problems, so one pass over the
            # file names everything wrong with a row.
            identities = []
            try:
                identities = normalized_identities(record)
            except InvalidInput as error:
                problems.extend(_problems_of(row_number, error))
            try:
                validate_profile(record)
            except InvalidInput as error:
                problems.extend(_problems_of(row_number, error))
            if problems:
                result.problems.extend(problems)
                continue
            parsed.append(ParsedCustomer(row_number, record, tuple(dict.fromkeys(identities))))
        result.state = parsed
        return result

    def write(self, prepared: PreparedImport) -> WriteCounts:
        return import_customers(prepared.state)


@dataclass
class ParsedCustomer:
    row: int
    record: CustomerRecord
    identities: tuple[tuple[str, str], ...]


def parse_customer_row(
    row_number: int, values: dict[str, Any], zone: ZoneInfo
) -> tuple[CustomerRecord, list[RowProblem]]:
    """One CSV row as a CustomerRecord, with a problem for each cell that cannot be read."""
    problems: list[RowProblem] = []
    record = CustomerRecord(source=IMPORT_SOURCE)

    def cell(column: str) -> str:
        return str(values.get(column) or "").strip()

    for column in IDENTITY_COLUMNS:
        setattr(record, column, cell(column) or None)
    for column, limit in MAX_LENGTHS.items():
        text = cell(column)
        if len(text) > limit:
            problems.append(RowProblem(row_number, column, f"is longer than {limit} characters"))
        setattr(record, column, text or None)
    gender = cell("gender")
    if gender:
        record.gender = GENDER_WORDS.get(gender.lower(), gender)
    record.income_band = cell("income_band").lower() or None
    if cell("birthday"):
        try:
            record.birthday = parse_date(cell("birthday"))
        except ValueError as error:
            problems.append(RowProblem(row_number, "birthday", str(error)))
    if cell("signed_up_at"):
        try:
            record.signed_up_at = parse_datetime(cell("signed_up_at"), default_zone=zone)
        except ValueError as error:
            problems.append(RowProblem(row_number, "signed_up_at", str(error)))
    record.tags = _split_list(cell("tags"))
    record.external_ids = _split_list(cell("external_ids"))
    for external_id in record.external_ids:
        system, _, value = external_id.partition(":")
        if not system.strip() or not value.strip():
            problems.append(
                RowProblem(
                    row_number,
                    "external_ids",
                    f"{external_id!r} is not system:id (e.g. pos:88812)",
                )
            )
    for column, key in CONSENT_COLUMNS.items():
        answer = cell(column).lower()
        if not answer:
            continue
        if answer in YES_WORDS:
            record.consents[key] = True
        elif answer in NO_WORDS:
            record.consents[key] = False
        else:
            problems.append(
                RowProblem(row_number, column, f"{cell(column)!r} is not yes or no (or 是/否)")
            )
    for column in values:
        if column.startswith(ATTRIBUTE_PREFIX) and cell(column):
            record.attributes[column[len(ATTRIBUTE_PREFIX) :]] = cell(column)
    return record, problems


def _split_list(text: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in _LIST_SEPARATOR.split(text) if part.strip()))


def _problems_of(row_number: int, error: InvalidInput) -> list[RowProblem]:
    return [RowProblem(row_number, _column_of(e.field), e.reason) for e in error.errors]


def _column_of(field_name: str | None) -> str:
    """The CSV column behind a field named in an InvalidInput error."""
    if not field_name:
        return "-"
    if field_name.startswith("consents."):
        channel, _, purpose = field_name.removeprefix("consents.").partition(":")
        return f"consent_{channel}_{purpose}"
    return field_name


def _attribute_hint(column: str) -> str:
    hint = re.sub(r"[^a-z0-9_]+", "_", column.lower()).strip("_")
    return hint or "name"


# --- writing ---------------------------------------------------------------------------------


def import_customers(parsed: list[ParsedCustomer]) -> WriteCounts:
    """Write the parsed rows inside the caller's transaction; see the module docstring.

    A row is created in bulk only when none of its identities exists already or appears in
    another row: then identity resolution has nothing to decide, and the result is the same as
    ``upsert_customer`` would give. Emits ``customers.imported`` once for the bulk-created ones
    (the upserted ones emit their own ``customer.created`` / ``customer.updated``).
    """
    counts = WriteCounts()
    if not parsed:
        return counts
    occurrences = Counter(identity for row in parsed for identity in row.identities)
    owners = _identity_owners(occurrences)
    new_people = []
    known_people = []
    to_resolve = []
    for row in parsed:
        if all(occurrences[i] == 1 and i not in owners for i in row.identities):
            new_people.append(row)
        elif all(occurrences[i] == 1 for i in row.identities) and (
            len({owners.get(i) for i in row.identities}) == 1
        ):
            known_people.append(row)
        else:
            to_resolve.append(row)
    # A row resolved one by one may merge the customer a known row points at; such known rows
    # take the same careful path, in file order.
    touched = {owners[i] for row in to_resolve for i in row.identities if i in owners}
    to_resolve += [row for row in known_people if owners[row.identities[0]] in touched]
    known_people = [row for row in known_people if owners[row.identities[0]] not in touched]
    counts.created += _create_new_customers(new_people)
    unchanged = _rows_that_change_nothing(known_people, owners)
    counts.unchanged += len(unchanged)
    to_resolve += [row for row in known_people if row.row not in unchanged]
    to_resolve.sort(key=lambda row: row.row)
    for row in to_resolve:
        outcome = upsert_customer(record=row.record)
        counts.merged += len(outcome.merged_customer_ids)
        if outcome.created:
            counts.created += 1
        elif outcome.changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


def _identity_owners(identities: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(kind, value) -> customer pk, for the identities that exist already."""
    by_kind: dict[str, list[str]] = {}
    for kind, value in identities:
        by_kind.setdefault(kind, []).append(value)
    owners: dict[tuple[str, str], int] = {}
    for kind, values in by_kind.items():
        for chunk in chunked(values, 900):
            matches = Identity.objects.filter(kind=kind, value__in=chunk)
            for value, customer_pk in matches.values_list("value", "customer_id"):
                owners[(kind, value)] = customer_pk
    return owners


def _rows_that_change_nothing(
    rows: list[ParsedCustomer], owners: dict[tuple[str, str], int]
) -> set[int]:
    """Rows whose every identity already belongs to one customer and whose every value equals
    the stored one: ``upsert_customer`` would find nothing to do, so re-importing a large file
    costs a few reads per thousand rows instead of a dozen queries per row. The comparison
    follows upsert_customer's own: non-empty values only; tags and consents are added, never
    removed; attributes are merged.
    """
    if not rows:
        return set()
    owner_of_row = {row.row: owners[row.identities[0]] for row in rows}
    profiles: dict[int, dict] = {}
    tags: dict[int, set[str]] = {}
    consents: dict[int, dict[str, bool]] = {}
    for chunk in chunked(sorted(set(owner_of_row.values())), 900):
        for values in Customer.objects.filter(pk__in=chunk).values(
            "pk", "attributes", *PROFILE_COLUMNS
        ):
            profiles[values["pk"]] = values
        tag_rows = Customer.tags.through.objects.filter(customer_id__in=chunk)
        for customer_pk, name in tag_rows.values_list("customer_id", "tag__name"):
            tags.setdefault(customer_pk, set()).add(name)
        consent_rows = Consent.objects.filter(customer_id__in=chunk)
        for customer_pk, channel, purpose, is_granted in consent_rows.values_list(
            "customer_id", "channel", "purpose", "is_granted"
        ):
            consents.setdefault(customer_pk, {})[f"{channel}:{purpose}"] = is_granted
    return {
        row.row
        for row in rows
        if _changes_nothing(
            row.record,
            profiles[owner_of_row[row.row]],
            tags.get(owner_of_row[row.row], set()),
            consents.get(owner_of_row[row.row], {}),
        )
    }


def _changes_nothing(
    record: CustomerRecord, profile: dict, tag_names: set[str], consents: dict[str, bool]
) -> bool:
    for name in PROFILE_COLUMNS:
        value = getattr(record, name)
        if value in (None, ""):
            continue
        if isinstance(value, str):
            value = value.strip()
        if profile[name] != value:
            return False
    attributes = profile["attributes"] or {}
    if record.attributes and {**attributes, **record.attributes} != attributes:
        return False
    if not {str(tag).strip() for tag in record.tags} <= tag_names:
        return False
    return all(consents.get(key) == bool(granted) for key, granted in record.consents.items())


def _create_new_customers(rows: list[ParsedCustomer]) -> int:
    """Create customers known to be new and distinct, with identities, tags and consents, in a
    few bulk statements. Profile values are stored as ``upsert_customer`` would store them."""
    if not rows:
        return 0
    now = timezone.now()
    created = 0
    for batch in chunked(rows, 2000):
        customers = []
        for row in batch:
            record = row.record
            customer_id = next(
                (value for kind, value in row.identities if kind == "customer_id"),
                "ks-" + secrets.token_hex(6),
            )
            customers.append(
                Customer(
                    customer_id=customer_id,
                    attributes=dict(record.attributes),
                    **{
                        name: (value.strip() if isinstance(value, str) else value)
                        for name in PROFILE_COLUMNS
                        if (value := getattr(record, name)) not in (None, "")
                    },
                )
            )
        Customer.objects.bulk_create(customers)
        if any(customer.pk is None for customer in customers):
            pks = dict(
                Customer.objects.filter(
                    customer_id__in=[customer.customer_id for customer in customers]
                ).values_list("customer_id", "pk")
            )
            for customer in customers:
                customer.pk = pks[customer.customer_id]
        _create_identities(batch, customers)
        _create_tags(batch, customers)
        Consent.objects.bulk_create(
            [
                Consent(
                    customer_id=customer.pk,
                    channel=key.partition(":")[0],
                    purpose=key.partition(":")[2],
                    is_granted=is_granted,
                    source=row.record.source,
                    recorded_at=now,
                )
                for row, customer in zip(batch, customers, strict=True)
                for key, is_granted in row.record.consents.items()
            ]
        )
        created += len(customers)
    emit("customers.imported", {"count": created})
    return created


def _create_identities(rows: list[ParsedCustomer], customers: list[Customer]) -> None:
    identities = []
    for row, customer in zip(rows, customers, strict=True):
        kinds_and_values = dict.fromkeys(row.identities)
        kinds_and_values.setdefault(("customer_id", customer.customer_id))
        identities.extend(
            Identity(customer_id=customer.pk, kind=kind, value=value, source=row.record.source)
            for kind, value in kinds_and_values
        )
    Identity.objects.bulk_create(identities, batch_size=2000)


def _create_tags(rows: list[ParsedCustomer], customers: list[Customer]) -> None:
    names = sorted({str(tag).strip() for row in rows for tag in row.record.tags})
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tag_pks: dict[str, int] = {}
    for chunk in chunked(names, 900):
        tag_pks.update(Tag.objects.filter(name__in=chunk).values_list("name", "pk"))
    through = Customer.tags.through
    through.objects.bulk_create(
        [
            through(customer_id=customer.pk, tag_id=tag_pks[name])
            for row, customer in zip(rows, customers, strict=True)
            for name in sorted({str(tag).strip() for tag in row.record.tags})
        ],
        batch_size=2000,
    )
