"""How fast ``kesheng import orders`` loads a large CSV file into SQLite, beside a bare baseline.

Run it from the repository root:

    .venv/bin/python bench/import_orders.py            # 1,000,000 orders, 5,000 customers
    .venv/bin/python bench/import_orders.py --orders 200000 --customers 2000

It builds a temporary SQLite database (migrated, with the customers imported through
``kesheng import customers``), writes an orders CSV of realistic rows, then times:

1. ``kesheng import orders FILE`` end to end, in-process: reading and decoding the file,
   parsing and checking every row, resolving customers, channels and stores, and writing in one
   transaction;
2. the baseline: a bare ``sqlite3`` ``executemany`` of the same rows, already converted to the
   values SQLite stores, into the same table (a copy of the same migrated database, same
   indexes, same pragmas), in one transaction.

It prints rows per second for both and their ratio. Nothing outside the temporary directory is
touched. Figures for one machine are in docs/performance.md.
"""

import argparse
import csv
import json
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
STORES = [f"sh-{n:02d}" for n in range(1, 9)] + [f"bj-{n:02d}" for n in range(1, 7)]
ONLINE_CHANNELS = ["web", "app", "wechat"]
CITIES = ["上海", "北京", "杭州", "广州", "深圳", "成都", "南京", "武汉"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    arguments = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kesheng-bench-"))
    database = workdir / "kesheng.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["KESHENG_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesheng.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    try:
        random.seed(arguments.seed)
        call_command("migrate", verbosity=0)
        customers_csv = workdir / "customers.csv"
        customer_ids = write_customers(customers_csv, arguments.customers)
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("import", "customers", str(customers_csv), "--json", stdout=quiet)
        customers_seconds = time.perf_counter() - started
        print(
            f"setup: {arguments.customers:,} customers imported in {customers_seconds:.1f} s "
            f"({arguments.customers / customers_seconds:,.0f} rows/s)"
        )

        orders_csv = workdir / "orders.csv"
        started = time.perf_counter()
        write_orders(orders_csv, customer_ids, arguments.orders)
        print(
            f"setup: {arguments.orders:,} orders written to CSV "
            f"({orders_csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s"
        )
        report_path = workdir / "report.json"
        started, started_cpu = time.perf_counter(), time.process_time()
        with report_path.open("w") as report_file:
            call_command("import", "orders", str(orders_csv), "--json", stdout=report_file)
        import_seconds = time.perf_counter() - started
        import_cpu = time.process_time() - started_cpu
        peak_megabytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        report = json.loads(report_path.read_text())
        assert report["created"] == arguments.orders, report
        from django.db import connection

        connection.close()
        # The baseline gets the same database after the import (customers, channels and the
        # stores the import created), with the orders removed and the file compacted.
        baseline_database = workdir / "baseline.sqlite3"
        shutil.copyfile(database, baseline_database)

        rows = baseline_rows(orders_csv, baseline_database)
        baseline_seconds, baseline_cpu = time_baseline(baseline_database, rows, rebuild=False)
        rebuilt_seconds, rebuilt_cpu = time_baseline(
            baseline_rows_reset(baseline_database), rows, rebuild=True
        )

        print(f"{'':38} {'wall s':>8} {'CPU s':>8} {'rows/s (wall)':>14}")
        for label, seconds, cpu in (
            ("kesheng import orders (end to end)", import_seconds, import_cpu),
            ("bare executemany, indexes kept", baseline_seconds, baseline_cpu),
            ("bare executemany, indexes rebuilt", rebuilt_seconds, rebuilt_cpu),
        ):
            rate = arguments.orders / seconds
            print(f"{label:38} {seconds:8.1f} {cpu:8.1f} {rate:14,.0f}")
        print(f"peak memory of the process after the import: {peak_megabytes:,.0f} MB")
        print(
            "ratio of rates, import / bare executemany: "
            f"{baseline_seconds / import_seconds:.2f} (indexes kept), "
            f"{rebuilt_seconds / import_seconds:.2f} (indexes rebuilt)"
        )
    finally:
        if arguments.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def write_customers(path: Path, count: int) -> list[str]:
    customer_ids = [f"M{n:06d}" for n in range(1, count + 1)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "name", "email", "phone", "gender", "city"])
        for n, customer_id in enumerate(customer_ids, start=1):
            writer.writerow(
                [
                    customer_id,
                    random.choice(SURNAMES) + random.choice(GIVEN) + random.choice(GIVEN),
                    f"member{n}@example.com",
                    f"139{n:08d}",
                    random.choice(["female", "male"]),
                    random.choice(CITIES),
                ]
            )
    return customer_ids


def write_orders(path: Path, customer_ids: list[str], count: int) -> None:
    start = datetime(2024, 1, 1, 8, 0)
    span_seconds = int(timedelta(days=730).total_seconds())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["order_id", "customer_id", "ordered_at", "amount", "currency", "store", "channel"]
        )
        for n in range(1, count + 1):
            in_store = random.random() < 0.6
            ordered_at = start + timedelta(seconds=random.randrange(span_seconds))
            writer.writerow(
                [
                    f"SO{n:09d}",
                    random.choice(customer_ids),
                    ordered_at.strftime("%Y-%m-%d %H:%M:%S"),
                    f"{random.randrange(990, 300000) / 100:.2f}",
                    "CNY",
                    random.choice(STORES) if in_store else "",
                    "store" if in_store else random.choice(ONLINE_CHANNELS),
                ]
            )


def baseline_rows(orders_csv: Path, database: Path) -> list[tuple]:
    """The rows exactly as SQLite stores them (UTC text times, ids resolved), built outside
    the timed part so the baseline times the insert alone."""
    connection = sqlite3.connect(database)
    customers = dict(
        connection.execute(
            "SELECT value, customer_id FROM customers_identity WHERE kind = 'customer_id'"
        )
    )
    channels = dict(connection.execute("SELECT code, id FROM tracking_channel"))
    connection.execute("DELETE FROM commerce_order")
    connection.commit()
    connection.execute("VACUUM")
    stores = dict(connection.execute("SELECT code, id FROM commerce_store"))
    connection.close()
    zone = ZoneInfo("Asia/Shanghai")
    now = str(datetime.now(UTC).replace(tzinfo=None))
    rows = []
    with orders_csv.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            ordered_at = datetime.fromisoformat(record["ordered_at"]).replace(tzinfo=zone)
            rows.append(
                (
                    record["order_id"],
                    customers[record["customer_id"]],
                    stores.get(record["store"]),
                    channels[record["channel"]],
                    str(ordered_at.astimezone(UTC).replace(tzinfo=None)),
                    str(Decimal(record["amount"])),
                    record["currency"],
                    "placed",
                    now,
                )
            )
    return rows


def baseline_rows_reset(database: Path) -> Path:
    """Empty the baseline's order table again for the second baseline run."""
    connection = sqlite3.connect(database)
    connection.execute("DELETE FROM commerce_order")
    connection.commit()
    connection.execute("VACUUM")
    connection.close()
    return database


def time_baseline(database: Path, rows: list[tuple], *, rebuild: bool) -> tuple[float, float]:
    """Seconds (wall, CPU) to insert ``rows`` in one transaction. With ``rebuild``, the
    table's non-unique indexes are dropped first and created again after, as the import does
    for a large batch."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    started, started_cpu = time.perf_counter(), time.process_time()
    connection.execute("BEGIN IMMEDIATE")
    indexes = []
    if rebuild:
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'commerce_order' AND sql NOT LIKE 'CREATE UNIQUE%'"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
    connection.executemany(
        "INSERT INTO commerce_order (order_id, customer_id, store_id, channel_id, ordered_at, "
        "amount, currency, status, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("COMMIT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    connection.close()
    return seconds, cpu


if __name__ == "__main__":
    main()
