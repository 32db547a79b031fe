"""How fast ``POST /api/v1/events`` ingests events on PostgreSQL, beside a bare COPY baseline.

Run it from the repository root (PostgreSQL must answer; trust or password in the URL):

    .venv/bin/python bench/ingest.py                       # 200,000 events, own gunicorn
    .venv/bin/python bench/ingest.py --events 50000 --workers 4 --threads 8
    .venv/bin/python bench/ingest.py --url http://127.0.0.1:8000 --api-key ks_... \\
        --database-url postgres://postgres@127.0.0.1:5432/kesheng

Without ``--url`` it prepares its own PostgreSQL database (``--database-url``, by default
``kesheng_bench`` on 127.0.0.1, created when missing): migrates it, creates the customers the
events belong to and an API key with the events:write scope, and starts gunicorn with several
workers on a free port. With ``--url`` it uses that running server, which must serve the
database given by ``--database-url`` (the customers are created there, and the COPY baseline
writes there too).

In one run it times:

1. the API: N events in batches of 1,000 sent by several client threads over keep-alive
   connections, each request checked (200, every event accepted). The time covers everything
   the server does: authentication, JSON parsing, checking each event, resolving customers,
   channels and touchpoints, the insert, the outbox row;
2. the baseline: the same rows, already resolved to the values the table stores, loaded with
   PostgreSQL ``COPY`` (psycopg) into the same ``tracking_event`` table, with its indexes, in
   one transaction.

Each phase's rows are deleted afterwards (and the table vacuumed) and a key it created is
revoked; the bench customers stay for the next run. It prints events per second for both and
their ratio; the target is an API rate of at least 25 % of the COPY rate. Figures for one
machine are in docs/performance.md.
"""

import argparse
import http.client
import json
import os
import platform
import random
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from server import ensure_database, start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kesheng_bench"
EVENT_TYPES = ["page_view", "product_view", "add_to_cart", "search", "store_visit", "chat"]
BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="how many (200,000)")
    parser.add_argument("--batch", type=int, default=1_000, help="events per request (1,000)")
    parser.add_argument("--customers", type=int, default=10_000, help="customers (10,000)")
    parser.add_argument("--threads", type=int, default=0, help="client threads (2 x workers)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (2 x CPUs)")
    parser.add_argument("--url", help="a running server instead of starting gunicorn")
    parser.add_argument("--api-key", help="a key with events:write (created when not given)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    workers = arguments.workers or 2 * (os.cpu_count() or 1)
    threads = arguments.threads or 2 * workers

    ensure_database(arguments.database_url)
    setup_django(arguments.database_url)
    if not arguments.url:
        migrate(arguments.database_url)
    customer_ids = ensure_customers(arguments.customers)
    api_key = arguments.api_key or create_key()
    own_key = arguments.api_key is None
    touchpoints = list_touchpoints()
    run = f"bench-{int(time.time())}"
    events = make_events(arguments.events, customer_ids, touchpoints, run, arguments.seed)

    server = None
    url = arguments.url
    try:
        if url is None:
            server, port = start_gunicorn(arguments.database_url, workers)
            url = f"http://127.0.0.1:{port}"
        copy_seconds = time_copy(events)
        delete_events(run)
        api_seconds, failures = time_api(url, api_key, events, arguments.batch, threads)
        stored = count_events(run)
        delete_events(run)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if own_key:
            revoke_key(api_key)

    copy_rate = len(events) / copy_seconds
    api_rate = len(events) / api_seconds
    figures = {
        "events": len(events),
        "batch": arguments.batch,
        "client_threads": threads,
        "server_workers": None if arguments.url else workers,
        "api_seconds": round(api_seconds, 2),
        "api_events_per_second": round(api_rate),
        "copy_seconds": round(copy_seconds, 2),
        "copy_events_per_second": round(copy_rate),
        "ratio": round(api_rate / copy_rate, 3),
        "stored_by_api": stored,
        "failed_requests": failures,
        "machine": machine(),
    }
    if arguments.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        print(f"machine: {figures['machine']}")
        print(
            f"API  : {len(events):,} events in {api_seconds:.2f} s = {api_rate:,.0f} events/s "
            f"(batches of {arguments.batch}, {threads} client threads"
            + (f", {workers} gunicorn workers)" if not arguments.url else ")")
        )
        print(f"COPY : {len(events):,} events in {copy_seconds:.2f} s = {copy_rate:,.0f} events/s")
        print(f"ratio: API / COPY = {api_rate / copy_rate:.1%} (target: at least 25 %)")
    if failures or stored != len(events):
        print(
            f"FAILED: {failures} requests failed; the API stored {stored} of {len(events)}",
            file=sys.stderr,
        )
        sys.exit(1)


# --- preparation ---------------------------------------------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesheng.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate(database_url: str) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def ensure_customers(count: int) -> list[str]:
    """Customers bench-C00000 ... created once, with their customer_id identity."""
    from django.db import transaction

    from kesheng.customers.models import Customer, Identity, IdentityKind

    wanted = [f"bench-C{number:05d}" for number in range(count)]
    existing = set(
        Customer.objects.filter(customer_id__startswith="bench-C").values_list(
            "customer_id", flat=True
        )
    )
    missing = [customer_id for customer_id in wanted if customer_id not in existing]
    if missing:
        with transaction.atomic():
            created = Customer.objects.bulk_create(
                [Customer(customer_id=customer_id, name=customer_id) for customer_id in missing],
                batch_size=2000,
            )
            Identity.objects.bulk_create(
                [
                    Identity(
                        customer=customer,
                        kind=IdentityKind.CUSTOMER_ID,
                        value=customer.customer_id,
                        source="bench",
                    )
                    for customer in created
                ],
                batch_size=2000,
            )
    return wanted


def create_key() -> str:
    from kesheng.accounts.actions import create_api_key

    return create_api_key(name="bench/ingest.py", scopes=["events:write"]).plaintext


def revoke_key(api_key: str) -> None:
    from kesheng.accounts.actions import revoke_api_key

    revoke_api_key(prefix=api_key)


def list_touchpoints() -> list[tuple[str, str]]:
    from kesheng.tracking.models import Touchpoint

    return list(Touchpoint.objects.values_list("channel__code", "code").order_by("code"))


def make_events(
    count: int, customer_ids: list[str], touchpoints: list[tuple[str, str]], run: str, seed: int
) -> list[dict]:
    randomness = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=BUSINESS_ZONE)
    events = []
    for number in range(count):
        channel, touchpoint = randomness.choice(touchpoints)
        moment = start + timedelta(seconds=randomness.randrange(365 * 24 * 3600))
        events.append(
            {
                "event_id": f"{run}-{number}",
                "customer_id": randomness.choice(customer_ids),
                "type": randomness.choice(EVENT_TYPES),
                "channel": channel,
                "touchpoint": touchpoint,
                "occurred_at": moment.isoformat(timespec="seconds"),
                "properties": {"page": f"/p/{randomness.randrange(5000)}", "value": number % 97},
            }
        )
    return events


# --- the two timed phases ------------------------------------------------------------------------


def time_copy(events: list[dict]) -> float:
    """COPY the same rows, resolved to stored values, in one transaction; seconds taken."""
    from django.db import connection, transaction

    from kesheng.customers.queries import map_customer_ids
    from kesheng.tracking.models import Channel, Touchpoint

    customers = map_customer_ids({event["customer_id"] for event in events})
    channels = dict(Channel.objects.values_list("code", "pk"))
    touchpoints = dict(Touchpoint.objects.values_list("code", "pk"))
    received_at = datetime.now(UTC)
    rows = [
        (
            event["event_id"],
            customers[event["customer_id"]],
            channels[event["channel"]],
            touchpoints[event["touchpoint"]],
            event["type"],
            datetime.fromisoformat(event["occurred_at"]),
            json.dumps(event["properties"], ensure_ascii=False),
            received_at,
        )
        for event in events
    ]
    columns = "event_id, customer_id, channel_id, touchpoint_id, type, occurred_at, properties, "
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY tracking_event ({columns}received_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return time.perf_counter() - started


def time_api(
    url: str, api_key: str, events: list[dict], batch: int, threads: int
) -> tuple[float, int]:
    """POST every batch from ``threads`` keep-alive connections; (seconds, failed requests)."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rstrip("/") + "/api/v1/events"
    bodies = [
        json.dumps(events[start : start + batch], ensure_ascii=False).encode("utf-8")
        for start in range(0, len(events), batch)
    ]
    sizes = [len(events[start : start + batch]) for start in range(0, len(events), batch)]
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "Accept-Language": "en",
    }
    local = threading.local()
    failures: list[str] = []

    def send(position: int) -> None:
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        try:
            local.connection.request("POST", path, body=bodies[position], headers=headers)
            response = local.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            local.connection.close()
            del local.connection
            failures.append(f"batch {position}: {error}")
            return
        if response.status != 200:
            failures.append(f"batch {position}: {response.status} {payload[:300]!r}")
            return
        answer = json.loads(payload)
        if answer["accepted"] != sizes[position]:
            failures.append(f"batch {position}: {answer}")

    # One request per thread first, so connection set-up and worker warm-up are not timed.
    warm_up = [
        {**events[0], "event_id": f"{events[0]['event_id']}-warm-{n}"} for n in range(threads)
    ]
    with ThreadPoolExecutor(threads) as pool:
        warm_bodies = [json.dumps([event]).encode() for event in warm_up]
        list(pool.map(lambda body: post_once(url, path, headers, body), warm_bodies))
        started = time.perf_counter()
        list(pool.map(send, range(len(bodies))))
        seconds = time.perf_counter() - started
    for failure in failures[:5]:
        print(failure, file=sys.stderr)
    return seconds, len(failures)


def post_once(url: str, path: str, headers: dict, body: bytes) -> int:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request("POST", path, body=body, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def count_events(run: str) -> int:
    from kesheng.tracking.models import Event

    return (
        Event.objects.filter(event_id__startswith=f"{run}-")
        .exclude(event_id__contains="-warm-")
        .count()
    )


def delete_events(run: str) -> None:
    from django.db import connection

    from kesheng.tracking.models import Event

    Event.objects.filter(event_id__startswith=f"{run}-").delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tracking_event")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
