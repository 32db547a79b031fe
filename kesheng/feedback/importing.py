"""``kesheng import feedback FILE``: reviews, social mentions, call notes, complaints and emails
from a CSV or JSONL file (docs/import-formats.md); a ``.jsonl`` file is read as JSONL.

The columns (or keys) are those of ``POST /api/v1/feedback``. An empty cell is a missing value.
"""

from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from kesheng.core.importing import (
    CSV,
    Importer,
    PreparedImport,
    RowProblem,
    WriteCounts,
    check_csv_columns,
    format_by_suffix,
)
from kesheng.core.ingest import Prepared
from kesheng.feedback.actions import (
    FEEDBACK_FIELDS,
    FeedbackReferences,
    prepare_feedback,
    write_feedback,
)

REQUIRED_COLUMNS = ("source", "source_id", "text")
OPTIONAL_COLUMNS = tuple(name for name in FEEDBACK_FIELDS if name not in REQUIRED_COLUMNS)
CHUNK_ROWS = 5_000


class FeedbackImporter(Importer):
    kind = "feedback"
    file_format = CSV
    description = _(
        "CSV, or JSONL for a .jsonl file: source, source_id, text[, occurred_at, rating, store, "
        "customer_id, email, phone, channel, touchpoint, product, language, author, reach, url, "
        "platform]"
    )

    def format_of(self, path: Path) -> str:
        return format_by_suffix(path)

    def check_columns(self, columns: list[str]) -> list[RowProblem]:
        return check_csv_columns(columns, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)

    def prepare(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> PreparedImport:
        result = PreparedImport()
        merged: Prepared = Prepared()
        references: FeedbackReferences | None = None
        iterator = iter(rows)
        while chunk := list(islice(iterator, CHUNK_ROWS)):
            row_numbers = [row_number for row_number, _ in chunk]
            # A CSV cell is text; an empty one means "not given", as a missing JSON key does.
            prepared = prepare_feedback(
                [
                    {key: value for key, value in values.items() if value != ""}
                    for _, values in chunk
                ]
            )
            for rejection in prepared.rejected:
                result.problems.append(
                    RowProblem(row_numbers[rejection.index], rejection.field, rejection.reason)
                )
            merged.valid.extend((row_numbers[index], item) for index, item in prepared.valid)
            references = _merge(references, prepared.context)
        merged.context = references
        result.state = merged
        return result

    def write(self, prepared: PreparedImport) -> WriteCounts:
        items: Prepared = prepared.state
        if not items.valid:
            return WriteCounts()
        result = write_feedback(items)
        return WriteCounts(created=result.accepted, duplicates=result.duplicates)


def _merge(merged: FeedbackReferences | None, chunk: FeedbackReferences) -> FeedbackReferences:
    if merged is None:
        return chunk
    merged.stores.update(chunk.stores)
    merged.channels.update(chunk.channels)
    merged.touchpoints.update(chunk.touchpoints)
    merged.products.update(chunk.products)
    merged.customers.update(chunk.customers)
    merged.identities.update(chunk.identities)
    return merged
