"""Shared shapes and helpers for loading many records at once (API batches and file imports).

Both doors work in two steps: *prepare* (parse and check every item, resolve references, touch
nothing) and *write* (insert the good items in one transaction, idempotent on their external id).
File imports stop between the two when any row is bad, which is how a failed import leaves the
database unchanged.
"""

import json
from collections.abc import Callable, Iterable, Sequence
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


def split_new_and_duplicates(
    items: Iterable[T], key_of: Callable[[T], str], model: type[models.Model], field_name: str
) -> tuple[list[T], int]:
    """The items whose key is new, in order, and how many were duplicates: repeated within the
    batch, or already stored in ``model.field_name``. Call it inside the write's transaction so
    the answer holds for the insert that follows."""
    seen: set[str] = set()
    first_of_each: list[T] = []
    duplicates = 0
    for item in items:
        key = key_of(item)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        first_of_each.append(item)
    already = existing_values(model, field_name, seen)
    return [item for item in first_of_each if key_of(item) not in already], duplicates + len(
        already
    )


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
    if connection.vendor == "sqlite" and len(values) > 900:
        # One JSON array parameter read by json_each instead of an IN list of at most 900
        # parameters: a million order ids take a dozen statements instead of 1,100 ORM queries.
        column = connection.ops.quote_name(model._meta.get_field(field_name).column)
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            for chunk in chunked(values, 100_000):
                cursor.execute(
                    f"SELECT {column} FROM {table} WHERE {column} IN "
                    "(SELECT value FROM json_each(%s))",
                    [json.dumps(list(chunk))],
                )
                found.update(row[0] for row in cursor.fetchall())
        return found
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
    instance per row, which costs more than the insert itself. Values are converted as each
    field's ``get_db_prep_save`` would (see ``_converter_for``), so SQLite and PostgreSQL store
    exactly what the ORM stores and reads back. Rows are converted one chunk at a time, so a
    large batch is never held twice in memory.
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
    conversions = [
        (position, convert)
        for position, convert in enumerate(_converter_for(f) for f in fields)
        if convert is not None
    ]
    with connection.cursor() as cursor:
        paused_indexes = _pause_secondary_indexes_sqlite(cursor, model, len(rows))
        for chunk in chunked(rows, 5000):
            if conversions:
                converted = []
                for row in chunk:
                    values = list(row)
                    for position, convert in conversions:
                        values[position] = convert(values[position])
                    converted.append(values)
                cursor.executemany(sql, converted)
            else:
                cursor.executemany(sql, chunk)
        for create_index_sql in paused_indexes:
            cursor.execute(create_index_sql)
    return len(rows)


# A batch at least this large, and at least half the table's size, is loaded with the table's
# non-unique indexes dropped and rebuilt after: SQLite builds an index from sorted rows several
# times faster than it inserts a million random keys one by one (measured in
# bench/import_orders.py: 1M orders, 6 secondary indexes, 24 s with them kept, 11 s rebuilt).
SQLITE_INDEX_PAUSE_MIN_ROWS = 50_000


def _pause_secondary_indexes_sqlite(cursor, model: type[models.Model], row_count: int) -> list:
    """Drop the table's non-unique indexes for a large load and return the SQL that recreates
    them. Only inside a transaction, so a failed load rolls the drop back with it (SQLite's DDL
    is transactional); unique indexes stay, since ON CONFLICT and correctness need them."""
    if row_count < SQLITE_INDEX_PAUSE_MIN_ROWS or not connection.in_atomic_block:
        return []
    table = model._meta.db_table
    cursor.execute(f"SELECT max(rowid) FROM {connection.ops.quote_name(table)}")
    existing_rows = cursor.fetchone()[0] or 0
    if row_count * 2 < existing_rows:
        return []
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
        "AND sql IS NOT NULL",
        [table],
    )
    paused = [
        (name, sql)
        for name, sql in cursor.fetchall()
        if not sql.upper().startswith("CREATE UNIQUE")
    ]
    for name, _ in paused:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _, sql in paused]


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
    """The function turning a Python value into what ``model_field.get_db_prep_save`` gives, or
    None when the value goes to the driver as it is (keys, text, numbers)."""
    ops = connection.ops
    if isinstance(model_field, models.ForeignKey):
        return None
    if isinstance(model_field, models.JSONField):
        return lambda value: model_field.get_db_prep_save(value, connection)
    if isinstance(model_field, models.DateTimeField):
        return _remembering_last(ops.adapt_datetimefield_value)
    if isinstance(model_field, models.DecimalField):
        adapt_decimal = ops.adapt_decimalfield_value
        max_digits, decimal_places = model_field.max_digits, model_field.decimal_places
        return lambda value: adapt_decimal(value, max_digits, decimal_places)
    if isinstance(model_field, models.DateField):
        return ops.adapt_datefield_value
    return None


def _remembering_last(convert):
    """Wrap ``convert`` so a value equal to the previous one is not converted again: a batch
    stamps every row with the same ``received_at``, and SQLite's datetime conversion is the
    costliest step of the fast path."""
    last_value: list = [object(), None]

    def converted(value):
        if value is last_value[0]:
            return last_value[1]
        result = convert(value)
        last_value[0], last_value[1] = value, result
        return result

    return converted
