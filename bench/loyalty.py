"""The points ledger under load: earn and redeem through the API beside a bare Django view, and
the yearly expiry run over a million members.

Run it from the repository root (PostgreSQL must answer; trust or password in the URL):

    .venv/bin/python bench/loyalty.py                       # both parts
    .venv/bin/python bench/loyalty.py --part api --seconds 30 --threads 8
    .venv/bin/python bench/loyalty.py --part expiry --members 1000000 --lots 10

It works in its own PostgreSQL database (``--database-url``, by default ``kesheng_bench_loyalty``
on 127.0.0.1, created when missing) and migrates it.

1. ``api``: gunicorn (``--workers``, 2 sync workers) with ``bench.respond_settings`` (the
   product's settings plus a bare view, ``/bench/insert/``, that inserts one row through the
   same middleware). Client threads (keep-alive connections) alternate, in rounds, between the
   ledger and the bare view. A ledger unit is the point-of-sale pair: ``POST
   /api/v1/loyalty/members/{id}/adjust`` (+10 points, a new request number) then ``POST
   .../redeem`` (10 points, a new request number, with the balance the till saw as
   ``expected_balance``), on one of ``--api-members`` members picked at random, so that two
   tills sometimes meet on one member as they do in a shop. Every answer is checked (201).
   It prints ledger writes per second and their p50/p99 latency beside the bare view's, and
   the ratio (target: at least 40 % of the bare rate).
2. ``expiry``: ``--members`` members with ``--lots`` lots each, all expired by a yearly clearing
   date, generated in SQL once (and put back to unexpired before each run). It times
   ``expire_points`` (set-based SQL over ranges of members), checks that every balance is 0
   and that the ledger verifies on a sample, and prints members, lots and seconds (target:
   under 60 s for a million members with ten lots each).
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import ROOT, ensure_database, start_gunicorn

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kesheng_bench_loyalty"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.respond_settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def machine() -> str:
    import platform

    cpu = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


# --- 1. earn and redeem through the API -----------------------------------------------------------

API_PREFIX = "bench-api-"


def prepare_api_members(count: int) -> str:
    """Members with a starting balance, the bench's programme and an API key; returns the key."""
    from kesheng.accounts.actions import create_api_key
    from kesheng.customers.actions import CustomerRecord, upsert_customer
    from kesheng.customers.models import Customer
    from kesheng.loyalty.actions.points import adjust_points
    from kesheng.loyalty.actions.programme import configure_programme
    from kesheng.loyalty.programme import check_programme

    configure_programme(
        programme_settings=check_programme(
            {
                "qualification": "spend",
                "review": {"period": "quarterly", "grace_days": 30},
                "tiers": [
                    {"code": "member", "name": {"zh-Hans": "会员", "en": "Member"}, "threshold": 0}
                ],
                "earn_rules": [{"code": "base", "points_per_cny": 1}],
                "expiry": {"mode": "rolling", "months": 12},
            }
        )
    )
    # A fresh set each run: the previous run's ledger rows would only slow the start.
    Customer.objects.filter(customer_id__startswith=API_PREFIX).delete()
    for number in range(count):
        upsert_customer(record=CustomerRecord(customer_id=f"{API_PREFIX}{number}"))
    for number in range(count):
        adjust_points(
            customer_id=f"{API_PREFIX}{number}",
            request_no=f"{API_PREFIX}start-{number}",
            points=1_000,
            reason="bench starting balance",
            created_by="bench",
        )
    return create_api_key(name=f"bench {time.time()}", scopes=["loyalty:write"]).plaintext


class Client:
    def __init__(self, port: int, key: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.latencies: list[float] = []

    def post(self, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        started = time.perf_counter()
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        self.latencies.append(time.perf_counter() - started)
        return response.status, data


def ledger_pair(client: Client, members: int, counter) -> int:
    member = f"{API_PREFIX}{random.randrange(members)}"
    number = next(counter)
    status, body = client.post(
        f"/api/v1/loyalty/members/{member}/adjust",
        json.dumps({"request_no": f"b{number}e", "points": 10, "reason": "bench"}).encode(),
        client.headers,
    )
    if status != 201:
        raise RuntimeError(f"adjust: {status} {body[:200]!r}")
    balance = json.loads(body)["balance"]
    status, body = client.post(
        f"/api/v1/loyalty/members/{member}/redeem",
        json.dumps(
            {"request_no": f"b{number}r", "points": 10, "expected_balance": balance}
        ).encode(),
        client.headers,
    )
    if status == 409:  # another till wrote between the two calls: a real till asks again
        return 1
    if status != 201:
        raise RuntimeError(f"redeem: {status} {body[:200]!r}")
    return 2


def bare_insert(client: Client) -> int:
    status, _body = client.post(
        "/bench/insert/",
        b"payload=bench",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise RuntimeError(f"bare view: {status}")
    return 1


def run_phase(clients: list[Client], seconds: float, work) -> tuple[float, int]:
    stop = threading.Event()
    counts = [0] * len(clients)
    failures: list[BaseException] = []

    def loop(position: int) -> None:
        try:
            while not stop.is_set():
                counts[position] += work(clients[position])
        except BaseException as error:
            failures.append(error)
            stop.set()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(clients))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"a request failed: {failures[0]}")
    return time.perf_counter() - started, sum(counts)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def bench_api(arguments) -> None:
    import itertools

    from django.db import connection

    from bench.respond_urls import BARE_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} "
            "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, payload text NOT NULL)"
        )
    key = prepare_api_members(arguments.api_members)
    with connection.cursor() as cursor:
        # Fresh statistics: the expiry part may have just written millions of rows.
        cursor.execute("ANALYZE")
    connection.close()
    server, port = start_gunicorn(
        arguments.database_url,
        arguments.workers,
        {"DJANGO_SETTINGS_MODULE": "bench.respond_settings"},
    )
    try:
        counter = itertools.count(int(time.time() * 1000) * 1000)
        ledger_clients = [Client(port, key) for _ in range(arguments.threads)]
        bare_clients = [Client(port, key) for _ in range(arguments.threads)]
        for client in ledger_clients:  # warm up every worker and connection
            ledger_pair(client, arguments.api_members, counter)
            bare_insert(bare_clients[0])
        for client in ledger_clients + bare_clients:
            client.latencies.clear()
        ledger_time = bare_time = 0.0
        ledger_writes = bare_writes = 0
        per_round = arguments.seconds / arguments.rounds
        for _round in range(arguments.rounds):
            elapsed, writes = run_phase(
                ledger_clients,
                per_round,
                lambda client: ledger_pair(client, arguments.api_members, counter),
            )
            ledger_time, ledger_writes = ledger_time + elapsed, ledger_writes + writes
            elapsed, writes = run_phase(bare_clients, per_round, bare_insert)
            bare_time, bare_writes = bare_time + elapsed, bare_writes + writes
    finally:
        server.terminate()
        server.wait()
    ledger_latencies = [x for client in ledger_clients for x in client.latencies]
    bare_latencies = [x for client in bare_clients for x in client.latencies]
    ledger_rate = ledger_writes / ledger_time
    bare_rate = bare_writes / bare_time
    print(
        f"api: gunicorn {arguments.workers} sync workers, {arguments.threads} client threads, "
        f"{arguments.seconds:.0f} s per side in {arguments.rounds} alternating rounds, "
        f"{arguments.api_members} members"
    )
    print(
        f"  ledger (adjust + redeem): {ledger_rate:.0f} writes/s, "
        f"p50 {percentile(ledger_latencies, 0.5):.1f} ms, "
        f"p99 {percentile(ledger_latencies, 0.99):.1f} ms"
    )
    print(
        f"  bare view (one INSERT):   {bare_rate:.0f} writes/s, "
        f"p50 {percentile(bare_latencies, 0.5):.1f} ms, "
        f"p99 {percentile(bare_latencies, 0.99):.1f} ms"
    )
    print(f"  ratio: {100 * ledger_rate / bare_rate:.0f} % of the bare rate (target >= 40 %)")


# --- 2. the yearly expiry -------------------------------------------------------------------------

EXPIRY_PREFIX = "bench-exp-"


def generate_expiry_members(members: int, lots: int) -> None:
    """Members with ``lots`` lots of 100 points each, earned over last year and all expiring
    at a yearly clearing date in the past, written in SQL (minutes, not hours)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM customers_customer WHERE customer_id LIKE %s",
            [EXPIRY_PREFIX + "%"],
        )
        if cursor.fetchone()[0] == members:
            return
        print(f"generating {members:,} members with {lots} lots each ...", flush=True)
        started = time.perf_counter()
        # The ledger rows first: the foreign keys forbid deleting their customers before.
        member_ids = "SELECT id FROM customers_customer WHERE customer_id LIKE %s"
        for table, column in (
            (
                "loyalty_pointsmovement",
                "transaction_id IN (SELECT id FROM "
                f"loyalty_pointstransaction WHERE customer_id IN ({member_ids}))",
            ),
            ("loyalty_pointslot", f"customer_id IN ({member_ids})"),
            ("loyalty_pointstransaction", f"customer_id IN ({member_ids})"),
            ("loyalty_pointsaccount", f"customer_id IN ({member_ids})"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {column}", [EXPIRY_PREFIX + "%"])
        cursor.execute(
            "DELETE FROM customers_customer WHERE customer_id LIKE %s", [EXPIRY_PREFIX + "%"]
        )
        cursor.execute(
            "INSERT INTO customers_customer (customer_id, name, gender, city, occupation, "
            "income_band, attributes, created_at, updated_at) "
            "SELECT %s || n, '', '', '', '', '', '{}', now(), now() "
            "FROM generate_series(1, %s) AS n",
            [EXPIRY_PREFIX, members],
        )
        cursor.execute(
            "INSERT INTO loyalty_pointsaccount (customer_id, balance, pending, updated_at) "
            "SELECT id, %s, 0, now() FROM customers_customer WHERE customer_id LIKE %s",
            [100 * lots, EXPIRY_PREFIX + "%"],
        )
        cursor.execute(
            "INSERT INTO loyalty_pointstransaction (customer_id, kind, points, balance_after, "
            "pending_after, reason, order_id, order_amount, request_no, created_by, created_at) "
            "SELECT c.id, 'earn', 100, 100 * lot, 0, 'bench', '', NULL, "
            "'bench-exp:' || c.id || ':' || lot, 'bench', "
            "timestamptz '2025-01-01 00:00+08' + lot * interval '30 days' "
            "FROM customers_customer c CROSS JOIN generate_series(1, %s) AS lot "
            "WHERE c.customer_id LIKE %s",
            [lots, EXPIRY_PREFIX + "%"],
        )
        cursor.execute(
            "INSERT INTO loyalty_pointslot (customer_id, earned_by_id, points, remaining, "
            "is_pending, available_at, expires_at, order_id) "
            "SELECT customer_id, id, 100, 100, false, created_at, "
            "timestamptz '2026-01-01 00:00+08', '' FROM loyalty_pointstransaction "
            "WHERE request_no LIKE 'bench-exp:%%'"
        )
        cursor.execute("ANALYZE")
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)


def reset_expiry_members() -> None:
    """Put the generated lots back to unexpired (a previous run expired them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM loyalty_pointsmovement WHERE transaction_id IN (SELECT id FROM "
            "loyalty_pointstransaction WHERE kind = 'expire' AND created_by = 'system' "
            "AND customer_id IN (SELECT id FROM customers_customer WHERE customer_id LIKE %s))",
            [EXPIRY_PREFIX + "%"],
        )
        cursor.execute(
            "DELETE FROM loyalty_pointstransaction WHERE kind = 'expire' AND customer_id IN "
            "(SELECT id FROM customers_customer WHERE customer_id LIKE %s)",
            [EXPIRY_PREFIX + "%"],
        )
        cursor.execute(
            "UPDATE loyalty_pointslot SET remaining = points WHERE remaining <> points "
            "AND order_id = '' AND earned_by_id IN (SELECT id FROM loyalty_pointstransaction "
            "WHERE request_no LIKE 'bench-exp:%%')"
        )
        cursor.execute(
            "UPDATE loyalty_pointsaccount AS account SET balance = lots.points FROM "
            "(SELECT customer_id, SUM(points) AS points FROM loyalty_pointslot "
            "GROUP BY customer_id) AS lots WHERE lots.customer_id = account.customer_id "
            "AND account.customer_id IN "
            "(SELECT id FROM customers_customer WHERE customer_id LIKE %s)",
            [EXPIRY_PREFIX + "%"],
        )
        cursor.execute("ANALYZE")


def bench_expiry(arguments) -> None:
    from datetime import UTC, datetime

    from django.db import connection

    from kesheng.loyalty.actions.ledger_runs import expire_points
    from kesheng.loyalty.models import PointsAccount

    generate_expiry_members(arguments.members, arguments.lots)
    reset_expiry_members()
    now = datetime(2026, 1, 2, tzinfo=UTC)
    started = time.perf_counter()
    run = expire_points(now=now)
    elapsed = time.perf_counter() - started
    left = (
        PointsAccount.objects.filter(customer__customer_id__startswith=EXPIRY_PREFIX)
        .exclude(balance=0)
        .count()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM loyalty_pointslot WHERE remaining > 0 AND expires_at <= %s",
            [now],
        )
        open_lots = cursor.fetchone()[0]
    print(
        f"expiry: {run.members:,} members, {run.lots:,} lots, {run.points:,} points expired "
        f"in {elapsed:.1f} s ({run.lots / elapsed:,.0f} lots/s; target < 60 s for 1,000,000 "
        f"members with 10 lots each); balances not 0 afterwards: {left}, lapsed lots left: "
        f"{open_lots}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["api", "expiry", "both"], default="both")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seconds", type=float, default=20.0, help="per side (20)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--api-members", type=int, default=1000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--lots", type=int, default=10)
    arguments = parser.parse_args()
    ensure_database(arguments.database_url)
    setup_django(arguments.database_url)
    print(f"machine: {machine()}")
    if arguments.part in ("api", "both"):
        bench_api(arguments)
    if arguments.part in ("expiry", "both"):
        bench_expiry(arguments)


if __name__ == "__main__":
    main()
