"""Benchmark: metrics over many survey responses, Kesheng's own code path against DuckDB.

Generates N completed responses (NPS plus five rated items, with store, channel, touchpoint and
completion time over two years) straight into a PostgreSQL database of its own with COPY, once
(later runs reuse them); exports the same rows to Parquet; then times, best of several runs:

- NPS by store by month (a cross-tab) and NPS by channel × touchpoint, through
  ``kesheng.analytics.queries`` (what the dashboard, CLI and API call), and the same two
  queries run by DuckDB (in-process, columnar) over the Parquet file — checking that both give
  the same count for every group and answer value;
- the dashboard's whole page of queries (``kesheng.reports.queries.get_dashboard``) over a year.

The rows are written with COPY, past Kesheng's actions, so no ``response.completed`` event counts
them: the script then runs ``kesheng.analytics.actions.count_new_responses`` (what the hourly
sweep and ``kesheng analytics recount`` run) and prints how long counting took.

    pip install -e '.[bench]'        # duckdb and pyarrow, for this script only
    python bench/metrics.py --responses 1000000
    python bench/metrics.py --responses 10000000 --runs 3

Targets (issue 5): Kesheng within 3x of DuckDB; the dashboard under 1 s at 1 million responses.
Uses the database in KESHENG_BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/kesheng_bench_metrics); never a user's data.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import ROOT, ensure_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kesheng_bench_metrics"
SURVEY_SLUG = "bench-metrics"
ITEMS = ("speed", "staff", "price", "range", "checkout")
STORES, CHANNELS, TOUCHPOINTS = 15, 5, 10
START = datetime(2024, 11, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
CHUNK = 250_000


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesheng.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def ensure_master_data():
    """The survey (NPS + five 1-5 ratings), stores, channels and touchpoints; their ids."""
    from kesheng.commerce.models import Store
    from kesheng.surveys.actions.surveys import create_survey
    from kesheng.surveys.models import Survey, SurveyStatus
    from kesheng.tracking.models import Channel, ChannelKind, Touchpoint

    survey = Survey.objects.filter(slug=SURVEY_SLUG).first()
    if survey is None:
        questions = [{"name": "nps", "type": "nps", "title": "NPS"}] + [
            {"name": item, "type": "csat", "title": item} for item in ITEMS
        ]
        definition = {
            "format": "kesheng-survey/1",
            "languages": ["zh-hans"],
            "default_language": "zh-hans",
            "title": "bench",
            "pages": [{"name": "p1", "questions": questions}],
        }
        survey = create_survey(title="bench", definition=definition, status=SurveyStatus.OPEN)
        Survey.objects.filter(pk=survey.pk).update(slug=SURVEY_SLUG)
        survey.refresh_from_db()
    stores = [
        Store.objects.get_or_create(code=f"bench-s{i:02d}", defaults={"name_zh": f"门店{i}"})[0].pk
        for i in range(STORES)
    ]
    channels = [
        Channel.objects.get_or_create(
            code=f"bench-c{i}", defaults={"name_zh": f"渠道{i}", "kind": ChannelKind.values[0]}
        )[0]
        for i in range(CHANNELS)
    ]
    touchpoints = [
        Touchpoint.objects.get_or_create(
            code=f"bench-t{i}", defaults={"name_zh": f"触点{i}", "channel": channels[i % CHANNELS]}
        )[0].pk
        for i in range(TOUCHPOINTS)
    ]
    return survey, stores, [channel.pk for channel in channels], touchpoints


def count_responses(survey_id: int) -> int:
    from kesheng.surveys.models import Response

    return Response.objects.filter(survey_id=survey_id).count()


def generate(survey, stores, channels, touchpoints, wanted: int, seed: int = 7) -> None:
    """COPY the missing responses and their six values, in chunks built with NumPy."""
    import pandas as pd
    from django.db import connection

    have = count_responses(survey.pk)
    if have >= wanted:
        return
    rng = np.random.default_rng(seed + have)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM surveys_response")
        next_id = cursor.fetchone()[0] + 1
    raw = connection.connection
    version_id = survey.current_version_id
    started = time.perf_counter()
    while have < wanted:
        size = min(CHUNK, wanted - have)
        ids = np.arange(next_id, next_id + size)
        mood = rng.normal(0, 1, size)
        nps = np.clip(np.round(7.2 + 2.2 * mood + rng.normal(0, 1.2, size)), 0, 10).astype(int)
        seconds = rng.integers(0, SPAN_SECONDS, size)
        completed = pd.to_datetime(START.timestamp() + seconds, unit="s", utc=True)
        responses = pd.DataFrame(
            {
                "id": ids,
                "survey_id": survey.pk,
                "version_id": version_id,
                "status": "completed",
                "answers": "{}",
                "current_page": "",
                "page_history": "[]",
                "channel_id": np.asarray(channels)[rng.integers(0, CHANNELS, size)],
                "touchpoint_id": np.asarray(touchpoints)[rng.integers(0, TOUCHPOINTS, size)],
                "store_id": np.asarray(stores)[rng.integers(0, STORES, size)],
                "language": "zh-hans",
                "device_type": "mobile",
                "resume_key": [f"bench-{i}" for i in ids],
                "started_at": completed,
                "updated_at": completed,
                "completed_at": completed,
            }
        )
        values = [pd.DataFrame({"response_id": ids, "question": "nps", "number": nps})]
        for item in ITEMS:
            rating = np.clip(np.round(3.6 + 0.8 * mood + rng.normal(0, 0.8, size)), 1, 5)
            values.append(pd.DataFrame({"response_id": ids, "question": item, "number": rating}))
        value_frame = pd.concat(values, ignore_index=True)
        value_frame.insert(1, "survey_id", survey.pk)
        value_frame["item"] = ""
        value_frame["text"] = ""
        with raw.cursor() as cursor:
            columns = ", ".join(responses.columns)
            with cursor.copy(
                f"COPY surveys_response ({columns}) FROM STDIN "
                "(FORMAT csv, FORCE_NOT_NULL (current_page))"
            ) as copy:
                copy.write(responses.to_csv(header=False, index=False))
            columns = ", ".join(value_frame.columns)
            with cursor.copy(
                f"COPY surveys_responsevalue ({columns}) FROM STDIN "
                "(FORMAT csv, FORCE_NOT_NULL (item, text))"
            ) as copy:
                copy.write(value_frame.to_csv(header=False, index=False))
        raw.commit()
        have += size
        next_id += size
        print(f"  {have:,} responses ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('surveys_response', 'id'), "
            "(SELECT MAX(id) FROM surveys_response))"
        )
        cursor.execute("ANALYZE surveys_response")
        cursor.execute("ANALYZE surveys_responsevalue")


def analyze_count_tables() -> None:
    """Fresh planner statistics after a bulk load (autovacuum would get there later)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("analytics_answercountbyday", "analytics_answercountbymonth"):
            cursor.execute(f"ANALYZE {table}")


def export_parquet(survey_id: int, folder: Path) -> Path:
    """The NPS answers with their response's columns, as Parquet for DuckDB."""
    import duckdb
    from django.db import connection

    csv_path = folder / "nps.csv"
    query = (
        "SELECT s.code AS store, c.code AS channel, t.code AS touchpoint, r.completed_at, "
        "v.number FROM surveys_responsevalue v JOIN surveys_response r ON r.id = v.response_id "
        "JOIN commerce_store s ON s.id = r.store_id JOIN tracking_channel c ON c.id = "
        "r.channel_id JOIN tracking_touchpoint t ON t.id = r.touchpoint_id "
        f"WHERE v.survey_id = {int(survey_id)} AND v.question = 'nps'"
    )
    copy_out = f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER)"
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(copy_out) as copy,
        open(csv_path, "wb") as out,
    ):
        for block in copy:
            out.write(block)
    parquet_path = folder / "nps.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv_auto('{csv_path}')) TO '{parquet_path}' (FORMAT parquet)"
    )
    csv_path.unlink()
    return parquet_path


def best_and_median(function, runs: int) -> tuple[float, float, object]:
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return min(timings), statistics.median(timings), result


def kesheng_counts(table) -> dict:
    return {
        (row, column, int(point)): count
        for (row, column), result in table.cells.items()
        for point, count in result.counts.items()
    }


def duckdb_counts(parquet: Path, row: str, column: str) -> dict:
    import duckdb

    def expression(name: str) -> str:
        if name == "month":
            return (
                "strftime(date_trunc('month', timezone('Asia/Shanghai', completed_at)), '%Y-%m-%d')"
            )
        return name

    rows = duckdb.sql(
        f"SELECT {expression(row)} AS r, {expression(column)} AS c, number, count(*) "
        f"FROM '{parquet}' GROUP BY ALL"
    ).fetchall()
    return {(r, c, int(number)): count for r, c, number, count in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    database_url = os.environ.get("KESHENG_BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(database_url)
    setup_django(database_url)
    from kesheng.analytics.actions import count_new_responses
    from kesheng.analytics.queries import MetricFilters, compute_crosstab
    from kesheng.reports.queries import get_dashboard

    survey, stores, channels, touchpoints = ensure_master_data()
    started = time.perf_counter()
    generate(survey, stores, channels, touchpoints, arguments.responses)
    total = count_responses(survey.pk)
    print(f"{total:,} responses in the database ({time.perf_counter() - started:.0f} s to top up)")
    started = time.perf_counter()
    counted = count_new_responses()
    print(
        f"counted the answers of {counted:,} new responses in {time.perf_counter() - started:.1f} s"
    )
    analyze_count_tables()
    filters = MetricFilters(survey_ids=(survey.pk,))
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        parquet = export_parquet(survey.pk, Path(folder))
        print(f"exported to Parquet in {time.perf_counter() - started:.1f} s")
        for row, column in (("store", "month"), ("channel", "touchpoint")):
            best, median, table = best_and_median(
                lambda row=row, column=column: compute_crosstab("nps", filters, row, column),
                arguments.runs,
            )
            duck_best, duck_median, duck = best_and_median(
                lambda row=row, column=column: duckdb_counts(parquet, row, column),
                arguments.runs,
            )
            same = kesheng_counts(table) == duck
            print(
                f"NPS by {row} x {column}: Kesheng {best:.3f} s (median {median:.3f}), "
                f"DuckDB {duck_best:.3f} s (median {duck_median:.3f}), "
                f"ratio {best / duck_best:.1f}x (target <= 3x), same counts: {same}"
            )
    for name, period in (
        ("a year", MetricFilters(date_from=date(2025, 11, 1), date_to=date(2026, 10, 31))),
        # The page's default span, not on month boundaries: its days come from the day table
        # and, for the breakdown by touchpoint, from the answers.
        ("30 days", MetricFilters(date_from=date(2026, 10, 2), date_to=date(2026, 10, 31))),
    ):
        best, median, _ = best_and_median(lambda p=period: get_dashboard(p), arguments.runs)
        print(
            f"dashboard over {name} (all surveys): {best:.3f} s (median {median:.3f}); "
            "target < 1 s at 1 million responses"
        )
    from ingest import machine

    print(machine())


if __name__ == "__main__":
    main()
