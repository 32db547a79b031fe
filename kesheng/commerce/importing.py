"""``kesheng import orders FILE`` and ``kesheng import staff FILE``: orders and the staff
members who serve customers, from CSV files (docs/import-formats.md).

Rows are parsed and resolved in chunks through ``prepare_orders`` (so the raw rows of a large
file are never all in memory at once) and written in one go by ``write_orders`` on its fast
path, without one ``order.placed`` event per historical order.
"""

from collections.abc import Iterable
from itertools import islice
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import ngettext_lazy

from kesheng.commerce.actions import (
    STAFF_NAME_MAX_LENGTH,
    OrderReferences,
    StaffMemberInput,
    check_staff_code,
    prepare_orders,
    write_orders,
    write_staff_members,
)
from kesheng.commerce.models import Store
from kesheng.core.importing import (
    CSV,
    Importer,
    PreparedImport,
    RowProblem,
    WriteCounts,
    check_csv_columns,
)
from kesheng.core.ingest import Prepared

REQUIRED_COLUMNS = ("order_id", "customer_id", "ordered_at", "amount")
OPTIONAL_COLUMNS = ("currency", "store", "channel", "status")
CHUNK_ROWS = 20_000
STAFF_REQUIRED_COLUMNS = ("code", "name")
STAFF_OPTIONAL_COLUMNS = ("store", "active")
YES_WORDS = {"yes", "y", "true", "1", "是"}
NO_WORDS = {"no", "n", "false", "0", "否"}


class OrderImporter(Importer):
    kind = "orders"
    file_format = CSV
    description = "order_id,customer_id,ordered_at,amount[,currency,store,channel,status]"
    reference_labels: ClassVar[dict[str, Promise]] = {
        "stores": ngettext_lazy("%(count)d store", "%(count)d stores", "count"),
    }

    def check_columns(self, columns: list[str]) -> list[RowProblem]:
        return check_csv_columns(columns, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)

    def prepare(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> PreparedImport:
        result = PreparedImport()
        merged: Prepared = Prepared()
        references: OrderReferences | None = None
        iterator = iter(rows)
        while chunk := list(islice(iterator, CHUNK_ROWS)):
            row_numbers = [row_number for row_number, _ in chunk]
            prepared = prepare_orders([values for _, values in chunk])
            del chunk
            for rejection in prepared.rejected:
                result.problems.append(
                    RowProblem(row_numbers[rejection.index], rejection.field, rejection.reason)
                )
            merged.valid.extend((row_numbers[index], order) for index, order in prepared.valid)
            references = _merge_references(references, prepared.context)
        merged.context = references
        result.state = merged
        return result

    def write(self, prepared: PreparedImport) -> WriteCounts:
        orders: Prepared = prepared.state
        if not orders.valid:
            return WriteCounts()
        result = write_orders(orders, fast=True, emit_each=False)
        return WriteCounts(
            created=result.accepted,
            duplicates=result.duplicates,
            created_references=dict(result.created_references),
        )


def _merge_references(merged: OrderReferences | None, chunk: OrderReferences) -> OrderReferences:
    if merged is None:
        return chunk
    merged.customers.update(chunk.customers)
    merged.new_stores |= chunk.new_stores
    return merged


class StaffImporter(Importer):
    """Staff members by code: a new code creates one, a known code updates its name and, when
    the cells are not empty, its store and active flag (an import never blanks a field). The
    store must exist: a misspelt code would otherwise put the person in a store of their own."""

    kind = "staff"
    file_format = CSV
    description = "code,name[,store,active]"

    def check_columns(self, columns: list[str]) -> list[RowProblem]:
        return check_csv_columns(
            columns, required=STAFF_REQUIRED_COLUMNS, optional=STAFF_OPTIONAL_COLUMNS
        )

    def prepare(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> PreparedImport:
        result = PreparedImport()
        stores = set(Store.objects.values_list("code", flat=True))
        first_row_of: dict[str, int] = {}
        members: list[StaffMemberInput] = []
        for row_number, values in rows:
            problems, member = _parse_staff_row(row_number, values, stores)
            if member is not None and member.code in first_row_of:
                problems.append(
                    RowProblem(
                        row_number,
                        "code",
                        f"{member.code!r} is also in row {first_row_of[member.code]}",
                    )
                )
            if problems:
                result.problems.extend(problems)
                continue
            first_row_of[member.code] = row_number
            members.append(member)
        result.state = members
        return result

    def write(self, prepared: PreparedImport) -> WriteCounts:
        members: list[StaffMemberInput] = prepared.state
        if not members:
            return WriteCounts()
        created, updated, unchanged = write_staff_members(members)
        return WriteCounts(created=created, updated=updated, unchanged=unchanged)


def _parse_staff_row(
    row_number: int, values: dict[str, Any], stores: set[str]
) -> tuple[list[RowProblem], StaffMemberInput | None]:
    problems = []
    code = str(values.get("code") or "").strip()
    if reason := check_staff_code(code):
        problems.append(RowProblem(row_number, "code", reason))
    name = str(values.get("name") or "").strip()
    if not name:
        problems.append(RowProblem(row_number, "name", "is required"))
    elif len(name) > STAFF_NAME_MAX_LENGTH:
        problems.append(
            RowProblem(row_number, "name", f"is longer than {STAFF_NAME_MAX_LENGTH} characters")
        )
    store = str(values.get("store") or "").strip() or None
    if store is not None and store not in stores:
        problems.append(RowProblem(row_number, "store", f"unknown store {store!r}"))
    active_text = str(values.get("active") or "").strip()
    is_active = None
    if active_text.lower() in YES_WORDS:
        is_active = True
    elif active_text.lower() in NO_WORDS:
        is_active = False
    elif active_text:
        problems.append(
            RowProblem(row_number, "active", f"{active_text!r} is not yes or no (or 是/否)")
        )
    if problems:
        return problems, None
    return [], StaffMemberInput(code=code, name=name, store=store, is_active=is_active)
