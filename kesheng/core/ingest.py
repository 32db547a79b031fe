"""Shared shapes and helpers for loading many records at once (API batches and file imports).

Both doors work in two steps: *prepare* (parse and check every item, resolve references, touch
nothing) and *write* (insert the good items in one transaction, idempotent on their external id).
File imports stop between the two when any row is bad, which is how a failed import leaves the
database unchanged.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import connection, models

T = TypeVar("T")


@dataclass(frozen=True)
class Rejection:
    """One bad item: its 0-based position in the batch (or 1-based row in a file), its id if it
    had one, the field at fault and the reason."""

    index: int
    field: str
    reason: str
    item_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.item_id, "field": self.field, "reason": self.reason}


@dataclass
class Prepared(Generic[T]):
    valid: list[tuple[int, T]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    # The lookups the write step needs (customers, channels ...), loaded once by prepare.
    context: Any = None


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    created_references: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [rejection.as_dict() for rejection in self.rejected],
        }


def chunked(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_values(model: type[models.Model], field_name: str, values: Iterable[str]) -> set:
    """Which of ``values`` already exist in ``model.field_name`` (queried in chunks)."""
    found: set = set()
    values = list(values)
    if connection.vendor == "postgresql" and values:
        # One array parameter instead of an IN list: one short statement for any batch size.
        column = connection.ops.quote_name(model._meta.get_field(field_name).column)
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)", [values])
            return {row[0] for row in cursor.fetchall()}
    # SQLite limits host parameters per statement; 900 stays under every build's limit.
    for chunk in chunked(values, 900):
        found.update(
            model._base_manager.filter(**{f"{field_name}__in": chunk}).values_list(
                field_name, flat=True
            )
        )
    return found


def insert_ignoring_duplicates(
    model: type[models.Model], field_names: list[str], rows: list[tuple], unique_field: str
) -> int:
    """Insert plain value tuples with one prepared statement, skipping rows whose
    ``unique_field`` already exists. Returns how many rows were offered.

    This is the fast path for millions of rows: the ORM's ``bulk_create`` builds a model
    instance per row, which costs more than the insert itself. Values are converted with each
    field's own ``get_db_prep_save`` so SQLite and PostgreSQL store exactly what the ORM would.
    """
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _insert_ignoring_duplicates_postgresql(model, field_names, rows, unique_field)
    fields = [model._meta.get_field(name) for name in field_names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    unique_column = connection.ops.quote_name(model._meta.get_field(unique_field).column)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT ({unique_column}) DO NOTHING"
    )
    converters = [_converter_for(f) for f in fields]
    prepared_rows = [
        tuple(convert(value) for convert, value in zip(converters, row, strict=True))
        for row in rows
    ]
    with connection.cursor() as cursor:
        for chunk in chunked(prepared_rows, 5000):
            cursor.executemany(sql, chunk)
    return len(rows)


def _insert_ignoring_duplicates_postgresql(
    model: type[models.Model], field_names: list[str], rows: list[tuple], unique_field: str
) -> int:
    """PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays)`` per chunk, a column per array.

    One statement per chunk instead of one per row costs the server a fraction of the time,
    close to COPY, while keeping ON CONFLICT DO NOTHING (which COPY lacks)."""
    import psycopg

    fields = [model._meta.get_field(name) for name in field_names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%b::{_array_type(f)}[]" for f in fields)
    unique_column = connection.ops.quote_name(model._meta.get_field(unique_field).column)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({unique_column}) DO NOTHING"
    )
    json_positions = [
        (position, field)
        for position, field in enumerate(fields)
        if isinstance(field, models.JSONField)
    ]
    connection.ensure_connection()
    # A server-binding cursor on Django's own connection (so inside its transaction): Django's
    # default client-binding cursor would quote every array element into the SQL text, which
    # costs more than the insert; binary arrays cost next to nothing.
    with psycopg.Cursor(connection.connection) as cursor:
        for chunk in chunked(rows, 5000):
            column_values = [list(values) for values in zip(*chunk, strict=True)]
            for position, field in json_positions:
                # JSON goes as text and PostgreSQL parses it into jsonb (the field's encoder,
                # as the ORM would use).
                column_values[position] = [
                    None if value is None else json.dumps(value, cls=field.encoder)
                    for value in column_values[position]
                ]
            cursor.execute(sql, column_values)
    return len(rows)


def _array_type(model_field: models.Field) -> str:
    if isinstance(model_field, models.ForeignKey):
        return model_field.target_field.rel_db_type(connection)
    return model_field.db_type(connection)


def _converter_for(model_field: models.Field):
    if isinstance(model_field, models.ForeignKey):
        return lambda value: value
    if isinstance(model_field, models.JSONField):
        return lambda value: model_field.get_db_prep_save(value, connection)
    if isinstance(model_field, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        return adapt
    if isinstance(model_field, models.DecimalField):
        return lambda value: connection.ops.adapt_decimalfield_value(
            value, model_field.max_digits, model_field.decimal_places
        )
    return lambda value: value
