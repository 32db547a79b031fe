"""``kesheng import events FILE``: touchpoint events from a JSONL file (docs/import-formats.md).

One JSON object per line. Lines are parsed and resolved in chunks through ``prepare_events`` and
written in one go by ``write_events`` on its fast path.
"""

from collections.abc import Iterable
from itertools import islice
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from kesheng.core.importing import JSONL, Importer, PreparedImport, RowProblem, WriteCounts
from kesheng.core.ingest import Prepared
from kesheng.tracking.actions import EventReferences, prepare_events, write_events

CHUNK_ROWS = 20_000


class EventImporter(Importer):
    kind = "events"
    file_format = JSONL
    description = _(
        "one JSON object a line: event_id, customer_id, type, channel, touchpoint, "
        "occurred_at, properties"
    )
    reference_labels: ClassVar[dict[str, Promise]] = {
        "touchpoints": ngettext_lazy("%(count)d touchpoint", "%(count)d touchpoints", "count"),
    }

    def prepare(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> PreparedImport:
        result = PreparedImport()
        merged: Prepared = Prepared()
        references: EventReferences | None = None
        iterator = iter(rows)
        while chunk := list(islice(iterator, CHUNK_ROWS)):
            row_numbers = [row_number for row_number, _ in chunk]
            prepared = prepare_events([values for _, values in chunk])
            del chunk
            for rejection in prepared.rejected:
                result.problems.append(
                    RowProblem(row_numbers[rejection.index], rejection.field, rejection.reason)
                )
            merged.valid.extend((row_numbers[index], event) for index, event in prepared.valid)
            references = _merge_references(references, prepared.context)
        merged.context = references
        if references is not None:
            _reject_touchpoints_with_two_channels(merged, references, result.problems)
        result.state = merged
        return result

    def write(self, prepared: PreparedImport) -> WriteCounts:
        events: Prepared = prepared.state
        if not events.valid:
            return WriteCounts()
        result = write_events(events, fast=True)
        return WriteCounts(
            created=result.accepted,
            duplicates=result.duplicates,
            created_references=dict(result.created_references),
        )


def _merge_references(merged: EventReferences | None, chunk: EventReferences) -> EventReferences:
    if merged is None:
        return chunk
    merged.customers.update(chunk.customers)
    for code, channel_pk in chunk.new_touchpoints.items():
        merged.new_touchpoints.setdefault(code, channel_pk)
    return merged


def _reject_touchpoints_with_two_channels(
    prepared: Prepared, references: EventReferences, problems: list[RowProblem]
) -> None:
    """prepare_events catches a new touchpoint given with two channels within one chunk; this
    catches it across chunks, keeping the channel the file named first."""
    kept = []
    for row_number, event in prepared.valid:
        wanted = references.new_touchpoints.get(event.touchpoint or "")
        if wanted is not None and event.channel and references.channels[event.channel] != wanted:
            problems.append(
                RowProblem(
                    row_number,
                    "touchpoint",
                    f"new touchpoint {event.touchpoint!r} is given with two different channels",
                )
            )
        else:
            kept.append((row_number, event))
    prepared.valid = kept
