"""``kesheng import orders FILE``: orders from a CSV file (docs/import-formats.md).

Rows are parsed and resolved in chunks through ``prepare_orders`` (so the raw rows of a large
file are never all in memory at once) and written in one go by ``write_orders`` on its fast
path, without one ``order.placed`` event per historical order.
"""

from collections.abc import Iterable
from itertools import islice
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import ngettext_lazy

from kesheng.commerce.actions import OrderReferences, prepare_orders, write_orders
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
