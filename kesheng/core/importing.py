"""The file-import framework behind ``kesheng import KIND FILE``.

Each app registers an :class:`Importer` for the kinds of file it owns in its
``AppConfig.ready()`` (``register_importer("orders", OrderImporter())``); this module reads the
file, hands the rows to the importer and enforces the rules every import shares:

- **Two steps.** The importer *prepares* every row first (parse, validate, resolve references,
  nothing written). If any row is bad and ``skip_invalid`` is off, the import stops there with
  every problem as ``row N, column C: reason`` and the database is untouched.
- **One transaction.** The importer's *write* runs inside one ``transaction.atomic()``, so an
  import lands whole or not at all. ``dry_run`` runs the same write and rolls it back, which is
  how its figures are exactly those a real run would report.
- **Row numbers as a person sees them.** In a CSV file the header is row 1 and the first data
  row is row 2: the row number a spreadsheet shows (a cell with a line break stays one row). In
  a JSONL file row N is line N. Blank rows and lines are skipped but still counted.
- **Encodings.** CSV is read as UTF-8 (with or without a byte-order mark); a file that is not
  valid UTF-8 is read as GB18030, the superset of GBK that Chinese Excel saves. JSONL is UTF-8.
- **Rejected rows** (with ``skip_invalid``) are written beside the file with their original
  columns and a ``reason`` column; a ``reason`` column in an input file is ignored, so the
  rejected file can be corrected and imported as it is.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import json
import math
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _

CSV = "csv"
JSONL = "jsonl"
REASON_COLUMN = "reason"
_DETECTION_CHUNK_BYTES = 1 << 20
# Python's csv module refuses fields over 128 KiB by default; a long comment or address in a
# spreadsheet export can be longer, and a row that is really broken is reported by the importer.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row: its 1-based row number, the column at fault and why."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class PreparedImport:
    """What an importer's prepare step hands to its write step.

    ``problems`` lists every bad row (a row may have several); ``rows`` counts the data rows
    read; ``state`` is the importer's own prepared data, opaque to the runner.
    """

    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    state: Any = None


@dataclass
class WriteCounts:
    """What a write did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    merged: int = 0
    created_references: dict[str, int] = field(default_factory=dict)


@dataclass
class ImportReport:
    kind: str
    file: str
    rows: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    merged: int
    rejected: int
    problems: list[RowProblem]
    created_references: dict[str, int]
    rejected_file: str | None
    dry_run: bool
    encoding: str

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["problems"] = [problem.as_dict() for problem in self.problems]
        return values

    def summary_line(self) -> str:
        parts = [
            _("%(count)d created") % {"count": self.created},
            _("%(count)d updated") % {"count": self.updated},
            _("%(count)d unchanged") % {"count": self.unchanged},
            _("%(count)d duplicates") % {"count": self.duplicates},
            _("%(count)d merged") % {"count": self.merged},
            _("%(count)d rejected") % {"count": self.rejected},
        ]
        line = f"{self.kind}: {', '.join(parts)}"
        if self.created_references:
            labels = _importers.get(self.kind, Importer).reference_labels
            created = ", ".join(
                labels[name] % {"count": count} if name in labels else f"{count} {name}"
                for name, count in sorted(self.created_references.items())
            )
            line += "; " + _("new references created: %(list)s") % {"list": created}
        if self.dry_run:
            line += " " + _("(dry run: nothing was written)")
        return line


class Importer(ABC):
    """One kind of file. Subclasses set ``kind``, ``file_format`` and ``description``, and
    ``reference_labels``: for each key of ``WriteCounts.created_references``, a lazy plural
    message (``ngettext_lazy(..., "count")``) that the summary shows in the user's language;
    the keys themselves stay English in ``--json`` output."""

    kind: str = ""
    file_format: str = CSV
    description: str | Promise = ""
    reference_labels: ClassVar[dict[str, Promise]] = {}

    def check_columns(self, columns: list[str]) -> list[RowProblem]:
        """Problems with a CSV header (row 1); an empty list when the columns are acceptable."""
        return []

    def format_of(self, path: Path) -> str:
        """The format of this file: ``file_format``, unless the importer reads both (then it
        goes by the file name, as :func:`format_by_suffix` does)."""
        return self.file_format

    @abstractmethod
    def prepare(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> PreparedImport:
        """Parse, validate and resolve every row without writing anything; the returned state
        holds the good rows only, and ``problems`` names every bad one."""

    @abstractmethod
    def write(self, prepared: PreparedImport) -> WriteCounts:
        """Write the good rows of ``prepared``; runs inside the import's transaction (rolled
        back in a dry run), so it must not commit or swallow database errors."""


def format_by_suffix(path: Path) -> str:
    """JSONL for a file named ``.jsonl`` or ``.ndjson``, else CSV: for importers that read both."""
    return JSONL if path.suffix.lower() in {".jsonl", ".ndjson"} else CSV


def check_csv_columns(
    columns: list[str], *, required: Iterable[str], optional: Iterable[str] = ()
) -> list[RowProblem]:
    """Header problems most CSV importers share: missing, unknown and repeated columns."""
    required = tuple(required)
    known = (*required, *optional)
    problems = []
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            problems.append(RowProblem(1, column, "appears twice in the header"))
        seen.add(column)
        if column not in known:
            problems.append(
                RowProblem(1, column, f"is not a column of this file (known: {', '.join(known)})")
            )
    for column in required:
        if column not in seen:
            problems.append(RowProblem(1, column, "is missing from the header"))
    return problems


_importers: dict[str, Importer] = {}


def register_importer(kind: str, importer: Importer) -> None:
    """Make ``kesheng import KIND FILE`` use ``importer``; apps call this in ``ready()``."""
    _importers[kind] = importer


def registered_importers() -> dict[str, Importer]:
    return dict(sorted(_importers.items()))


def get_importer(kind: str) -> Importer:
    try:
        return _importers[kind]
    except KeyError:
        known = ", ".join(sorted(_importers))
        raise ImportRefused(
            [],
            _("%(kind)r is not a kind of import (known: %(known)s)")
            % {"kind": kind, "known": known},
        ) from None


class ImportRefused(Exception):
    """The import wrote nothing: the file is unreadable or has bad rows (and no skip_invalid)."""

    def __init__(self, problems: list[RowProblem], message: str):
        super().__init__(message)
        self.problems = problems
        self.message = message


# --- reading files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    path: Path
    file_format: str
    encoding: str
    line_count: int


def inspect_file(path: Path, file_format: str) -> SourceFile:
    """Detect the encoding (UTF-8 or GB18030) and count lines for the progress bar, in one pass
    over the bytes without decoding them into memory at once."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    line_count = 0
    last_byte = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(_DETECTION_CHUNK_BYTES):
            line_count += chunk.count(b"\n")
            last_byte = chunk[-1:]
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
        if is_utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                is_utf8 = False
    if last_byte != b"\n":
        line_count += 1
    if is_utf8:
        encoding = "utf-8-sig"
    elif file_format == CSV and _decodes_as(path, "gb18030"):
        encoding = "gb18030"
    else:
        raise ImportRefused(
            [], _("%(path)s is not UTF-8 text; save it as UTF-8 and try again") % {"path": path}
        )
    return SourceFile(path=path, file_format=file_format, encoding=encoding, line_count=line_count)


def _decodes_as(path: Path, encoding: str) -> bool:
    """Whether the whole file is text in ``encoding``: a second pass, only for files that are not
    UTF-8, so that a binary file is refused up front instead of failing halfway through reading."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_DETECTION_CHUNK_BYTES):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _open_text(source: SourceFile) -> IO[str]:
    return source.path.open("r", encoding=source.encoding, newline="")


def read_header(source: SourceFile) -> list[str]:
    with _open_text(source) as handle:
        for record in csv.reader(handle):
            if any(cell.strip() for cell in record):
                # An unnamed column (a trailing comma in the header) holds nothing to import.
                return [
                    name
                    for cell in record
                    if (name := cell.strip().lower()) and name != REASON_COLUMN
                ]
    return []


def iter_rows(source: SourceFile) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, values) for every data row; see the module docstring for the numbering.

    A CSV row yields its cells by column name (cells missing at the end of a row are empty;
    extra cells are reported as a problem in the pseudo-column ``_extra``). A JSONL line yields
    its object; a line that is not a JSON object yields ``{"_error": reason}``.
    """
    with _open_text(source) as handle:
        if source.file_format == CSV:
            yield from _iter_csv(handle)
        else:
            yield from _iter_jsonl(handle)


def _iter_csv(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    header: list[str] | None = None
    width = 0
    has_reason = has_unnamed = False
    for row_number, record in enumerate(csv.reader(handle), start=1):
        if header is None:
            if any(cell.strip() for cell in record):
                header = [cell.strip().lower() for cell in record]
                width = len(header)
                has_reason, has_unnamed = REASON_COLUMN in header, "" in header
            continue
        joined = "".join(record)
        if not joined.strip():
            continue
        if "\x00" in joined:
            # PostgreSQL cannot store it in text; refused on SQLite too, for the same result.
            yield row_number, {"_error": "contains the NUL character, which cannot be stored"}
            continue
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            yield row_number, {"_error": f"has {len(record)} cells but the header has {width}"}
            continue
        if len(record) < width:
            record = record + [""] * (width - len(record))
        values = dict(zip(header, record, strict=False))
        if has_reason:
            del values[REASON_COLUMN]
        if has_unnamed and values.pop("").strip():
            yield row_number, {"_error": "has a value in a column without a name"}
            continue
        yield row_number, values


# A "\u0000" escape preceded by an even number of backslashes is a NUL character.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large a number to store")
    return number


def _load_json_line(text: str) -> Any:
    """``json.loads`` refusing, as a ValueError, what parses but neither database can store
    (NaN, infinity, the NUL character, unpaired surrogates; the API refuses them too) and what
    Python itself refuses to convert (nesting too deep, integers of thousands of digits)."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise ValueError("text may not contain the NUL character (\\u0000)")
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text contains an unpaired UTF-16 surrogate escape") from None
    return value


def _iter_jsonl(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for row_number, line in enumerate(handle, start=1):
        text = line.strip()
        if row_number == 1:
            text = text.lstrip("\ufeff")
        if not text:
            continue
        try:
            value = _load_json_line(text)
        except json.JSONDecodeError as error:
            yield row_number, {"_error": f"is not valid JSON ({error.msg} at column {error.colno})"}
            continue
        except ValueError as error:
            yield row_number, {"_error": f"is not valid JSON ({error})"}
            continue
        if not isinstance(value, dict):
            yield row_number, {"_error": "must be a JSON object"}
            continue
        value.pop(REASON_COLUMN, None)
        yield row_number, value


def _without_unreadable(
    rows: Iterable[tuple[int, dict[str, Any]]], problems: list[RowProblem], counter: list[int]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Pass readable rows on; record the rows the reader itself could not make sense of (bad
    JSON, too many cells) as problems of the whole row, shown as column ``-``."""
    for row_number, values in rows:
        counter[0] += 1
        if len(values) == 1 and "_error" in values:
            problems.append(RowProblem(row_number, "-", values["_error"]))
            continue
        yield row_number, values


# --- running an import -----------------------------------------------------------------------


def run_import(
    kind: str,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    rejected_path: str | Path | None = None,
    progress_stream: IO[str] | None = None,
) -> ImportReport:
    """Import one file; see the module docstring for the rules. Raises :class:`ImportRefused`
    (nothing written) when the file cannot be read or has bad rows and ``skip_invalid`` is off.
    ``progress_stream`` (a terminal) gets a progress bar."""
    importer = get_importer(kind)
    path = Path(path)
    if not path.is_file():
        raise ImportRefused([], _("%(path)s: no such file") % {"path": path})
    source = inspect_file(path, importer.format_of(path))
    if source.file_format == CSV:
        header_problems = importer.check_columns(read_header(source))
        if header_problems:
            raise ImportRefused(
                header_problems, _("the header (row 1) is wrong; nothing was imported")
            )
    rows: Iterable[tuple[int, dict[str, Any]]] = iter_rows(source)
    bar = None
    if progress_stream is not None:
        from tqdm import tqdm

        bar = tqdm(
            total=source.line_count, unit=" rows", file=progress_stream, desc=kind, leave=False
        )
        rows = _counting(rows, bar)
    unreadable: list[RowProblem] = []
    row_count = [0]
    try:
        with _cyclic_gc_paused():
            prepared = importer.prepare(_without_unreadable(rows, unreadable, row_count))
    finally:
        if bar is not None:
            bar.close()
    prepared.rows = row_count[0]
    problems = sorted([*unreadable, *prepared.problems], key=lambda problem: problem.row)
    rejected_rows = sorted({problem.row for problem in problems})
    if problems and not skip_invalid:
        raise ImportRefused(
            problems,
            _("%(count)d of %(rows)d rows are invalid; nothing was imported")
            % {"count": len(rejected_rows), "rows": prepared.rows},
        )
    rejected_file = None
    if rejected_rows and not dry_run:
        rejected_file = Path(rejected_path) if rejected_path else default_rejected_path(source)
        write_rejected(source, problems, rejected_file)
    with _cyclic_gc_paused(), transaction.atomic():
        counts = importer.write(prepared)
        if dry_run:
            transaction.set_rollback(True)
    return ImportReport(
        kind=kind,
        file=str(path),
        rows=prepared.rows,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        duplicates=counts.duplicates,
        merged=counts.merged,
        rejected=len(rejected_rows),
        problems=problems,
        created_references=dict(counts.created_references),
        rejected_file=str(rejected_file) if rejected_file else None,
        dry_run=dry_run,
        encoding="gb18030" if source.encoding == "gb18030" else "utf-8",
    )


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while millions of small objects are made and kept.

    Every collection of the oldest generation walks every live container, and a large import
    keeps a million prepared rows alive, so the collector would walk them again and again for
    nothing (they hold no cycles): pausing it cut the preparation of 400,000 orders from 8.3 s
    to 5.1 s of CPU. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _counting(
    rows: Iterable[tuple[int, dict[str, Any]]], bar
) -> Iterator[tuple[int, dict[str, Any]]]:
    last = 0
    for row_number, values in rows:
        # Advance by row numbers, not rows, so skipped blank rows still move the bar.
        bar.update(row_number - last)
        last = row_number
        yield row_number, values


def default_rejected_path(source: SourceFile) -> Path:
    suffix = ".rejected.csv" if source.file_format == CSV else ".rejected.jsonl"
    return source.path.with_name(source.path.name + suffix)


def write_rejected(source: SourceFile, problems: list[RowProblem], target: Path) -> None:
    """Copy the rejected rows with their original values and a ``reason`` column (CSV, UTF-8
    with a byte-order mark so Excel reads the Chinese right) or ``reason`` key (JSONL)."""
    reasons: dict[int, list[str]] = {}
    for problem in problems:
        reasons.setdefault(problem.row, []).append(
            problem.reason if problem.column == "-" else f"{problem.column}: {problem.reason}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.file_format == CSV:
        _write_rejected_csv(source, reasons, target)
    else:
        _write_rejected_jsonl(source, reasons, target)


def _write_rejected_csv(source: SourceFile, reasons: dict[int, list[str]], target: Path) -> None:
    with _open_text(source) as handle, target.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        header_written = False
        for row_number, record in enumerate(csv.reader(handle), start=1):
            if not header_written:
                if any(cell.strip() for cell in record):
                    header = [cell for cell in record if cell.strip().lower() != REASON_COLUMN]
                    reason_at = [
                        i for i, cell in enumerate(record) if cell.strip().lower() == REASON_COLUMN
                    ]
                    writer.writerow([*header, REASON_COLUMN])
                    header_written = True
                continue
            if row_number in reasons:
                kept = [cell for i, cell in enumerate(record) if i not in reason_at]
                kept += [""] * (len(header) - len(kept))
                writer.writerow([*kept, "; ".join(reasons[row_number])])


def _write_rejected_jsonl(source: SourceFile, reasons: dict[int, list[str]], target: Path) -> None:
    with _open_text(source) as handle, target.open("w", encoding="utf-8") as out:
        for row_number, line in enumerate(handle, start=1):
            if row_number not in reasons:
                continue
            reason = "; ".join(reasons[row_number])
            try:
                value = json.loads(line.strip().lstrip("\ufeff"))
            except json.JSONDecodeError:
                value = None
            if isinstance(value, dict):
                value[REASON_COLUMN] = reason
            else:
                value = {"line": line.rstrip("\r\n"), REASON_COLUMN: reason}
            out.write(json.dumps(value, ensure_ascii=False) + "\n")


def progress_stream_for(stream: IO[str]) -> IO[str] | None:
    """The stream to draw a progress bar on, or None when it is not a terminal."""
    is_terminal = getattr(stream, "isatty", None)
    return stream if is_terminal is not None and is_terminal() else None


def print_problems(problems: list[RowProblem], stream: IO[str] = sys.stderr) -> None:
    for problem in problems:
        stream.write(f"{problem}\n")
