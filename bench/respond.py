"""How fast respondents complete a survey through the public pages, beside a bare Django view.

Run it from the repository root (PostgreSQL must answer; trust or password in the URL):

    .venv/bin/python bench/respond.py                    # 20 s per phase, 4 client threads
    .venv/bin/python bench/respond.py --seconds 30 --threads 8 --workers 2
    .venv/bin/python bench/respond.py --in-process-events   # the embedded set-up's dispatch

By default it measures the production shape (docs/deploy.md: PostgreSQL, gunicorn, Celery
workers on Redis): the web processes get ``REDIS_URL`` (``--redis-url``, by default database 13
of the local Redis, which must be empty and is emptied afterwards), so completing a response
stores its outbox event and queues it for a worker, as in production; no worker runs during
the bench (a worker's work is not the web tier's, and it would take the CPUs from both sides
alike). ``--in-process-events`` runs the subscribers in the request instead, as the embedded
set-up without Redis does.

It prepares its own PostgreSQL database (``--database-url``, by default ``kesheng_bench`` on
127.0.0.1, created when missing), migrates it, creates a 10-question survey on three pages
(NPS, CSAT, CES, a choice, a Likert item, a rating, a multiple choice, yes/no, two texts) and
starts gunicorn (``--workers``, 2 by default, sync workers) with ``bench.respond_settings``:
the product's settings, no rate limit (every request comes from this one address) and one
extra URL, ``/bench/insert/``, a bare view that inserts one row through the same middleware.

In one run, with the same number of client threads (keep-alive connections, http.client), in
alternating rounds so that a change in the machine's load falls on both:

1. respondents: each thread answers the survey again and again the way a browser does: GET
   ``/s/<slug>/``, POST page 1 with the CSRF token from the cookie, POST page 2, POST page 3
   (which completes the response and shows the thank-you page). Every answer is checked
   (status 200, the expected next page). Completing runs everything the web process runs: the
   page checks, the skip rules, the value rows, the outbox event and queueing it (or, with
   ``--in-process-events``, its dispatch);
2. the baseline: the same threads POST to the bare view as fast as they can.

It prints responses per second, page requests per second and the p50/p99 latency of every
page request, beside the bare view's requests per second and latency, and the ratio of the
page request rate to the bare rate. The bench survey and its responses are deleted afterwards.
"""

import argparse
import http.client
import os
import platform
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

from server import ensure_database, start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kesheng_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40 NetType/WIFI Language/zh_CN"
)
_HIDDEN = re.compile(r'name="(key|page)" value="([^"]*)"')


def text(zh: str, en: str) -> dict:
    return {"zh-hans": zh, "en": en}


def choices(*values: str) -> list[dict]:
    return [{"value": value, "text": text(value, value)} for value in values]


SURVEY = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "default_language": "zh-hans",
    "title": text("基准测试调查", "Benchmark survey"),
    "thank_you": text("感谢您的反馈！", "Thank you!"),
    "pages": [
        {
            "name": "p1",
            "questions": [
                {"name": "nps", "type": "nps", "title": text("推荐", "Advocacy"), "required": True},
                {"name": "csat", "type": "csat", "title": text("满意", "Satisfied")},
                {"name": "ces", "type": "ces", "title": text("省力", "Effort")},
                {
                    "name": "visit",
                    "type": "single_choice",
                    "title": text("目的", "Why"),
                    "choices": choices("buy", "return", "browse"),
                    "required": True,
                },
            ],
            "skip": [{"if": "{nps} >= 11", "to": "end"}],
        },
        {
            "name": "p2",
            "questions": [
                {"name": "agree", "type": "likert", "title": text("同意", "Agree")},
                {
                    "name": "stars",
                    "type": "rating",
                    "title": text("评分", "Stars"),
                    "scale": {"min": 1, "max": 5, "style": "stars"},
                },
                {
                    "name": "channels",
                    "type": "multiple_choice",
                    "title": text("渠道", "Channels"),
                    "choices": choices("app", "web", "wechat", "store"),
                    "randomize": True,
                },
                {"name": "again", "type": "yes_no", "title": text("再来", "Again")},
            ],
        },
        {
            "name": "p3",
            "questions": [
                {"name": "email", "type": "short_text", "title": text("称呼", "Name")},
                {
                    "name": "comment",
                    "type": "long_text",
                    "title": text("{visit}的意见", "Comments on {visit}"),
                    "visible_if": "{nps} notempty",
                },
            ],
        },
    ],
}
PAGES = [
    ("p1", {"nps": "9", "csat": "4", "ces": "6", "visit": "buy"}),
    ("p2", {"agree": "4", "stars": "5", "channels": ["app", "wechat"], "again": "true"}),
    ("p3", {"email": "王芳", "comment": "店员很热情，结账很快。" * 3}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase (20)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (4)")
    parser.add_argument(
        "--rounds", type=int, default=4, help="alternating rounds the seconds are split into (4)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="queue the completion events on this Redis database, as production does (no "
        "worker runs; the database must be empty and is emptied afterwards) "
        f"({DEFAULT_REDIS_URL})",
    )
    parser.add_argument(
        "--in-process-events",
        action="store_true",
        help="no Redis: dispatch the completion events in the request (the embedded set-up)",
    )
    arguments = parser.parse_args()
    if arguments.in_process_events:
        arguments.redis_url = ""
    if arguments.redis_url:
        check_redis_empty(arguments.redis_url)

    ensure_database(arguments.database_url)
    setup_django(arguments.database_url)
    migrate()
    ensure_bare_table()
    survey_id, slug = create_bench_survey()
    server, port = start_gunicorn(
        arguments.database_url,
        arguments.workers,
        {
            "REDIS_URL": arguments.redis_url or "",
            "DJANGO_SETTINGS_MODULE": "bench.respond_settings",
        },
    )
    try:
        warm_up(port, slug)
        # Alternate short rounds of the two, so a change in the machine's load (other
        # processes) falls on both alike.
        share = arguments.seconds / arguments.rounds
        page_rounds, bare_rounds = [], []
        for _round in range(arguments.rounds):
            page_rounds.append(
                run_phase(port, arguments.threads, share, lambda c: respond(c, slug))
            )
            bare_rounds.append(run_phase(port, arguments.threads, share, insert_bare_row))
        pages, bare = Phase.merge(page_rounds), Phase.merge(bare_rounds)
        completed = count_completed(survey_id)
    finally:
        server.terminate()
        server.wait(timeout=30)
        delete_bench_data(survey_id)
        if arguments.redis_url:
            empty_redis(arguments.redis_url)
    report(arguments, pages, bare, completed)


# --- set-up --------------------------------------------------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.respond_settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def ensure_bare_table() -> None:
    from django.db import connection

    from bench.respond_urls import BARE_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} "
            "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, payload text NOT NULL)"
        )
        cursor.execute(f"TRUNCATE {BARE_TABLE}")


def create_bench_survey() -> tuple[int, str]:
    from kesheng.surveys.actions.surveys import create_survey

    slug = f"bench-{secrets.token_hex(4)}"
    survey = create_survey(title="Bench", definition=SURVEY, slug=slug, status="open")
    return survey.pk, slug


def check_redis_empty(redis_url: str) -> None:
    import redis

    if redis.Redis.from_url(redis_url).dbsize():
        raise SystemExit(f"{redis_url} is not empty; give the bench a database of its own")


def empty_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


# --- the clients ---------------------------------------------------------------------------------


class Browser:
    """One keep-alive connection with a cookie jar, timing every request."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.latencies: list[float] = []
        self.by_step: dict[str, list[float]] = {}

    def request(
        self, method: str, path: str, fields: list[tuple[str, str]] | None = None, step: str = ""
    ):
        headers = {"User-Agent": USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1{path}"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        self.latencies.append(elapsed)
        self.by_step.setdefault(step or method, []).append(elapsed)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content.decode()


def _hidden(html: str) -> dict[str, str]:
    return dict(_HIDDEN.findall(html))


def respond(browser: Browser, slug: str) -> int:
    """One respondent, from a fresh cookie jar: GET the link, send the three pages."""
    path = f"/s/{slug}/"
    browser.cookies = {}
    status, html = browser.request("GET", path, step="GET first page")
    if status != 200 or _hidden(html).get("page") != "p1":
        raise RuntimeError(f"GET {path}: {status}")
    for index, (page, answers) in enumerate(PAGES):
        hidden = _hidden(html)
        if hidden.get("page") != page:
            raise RuntimeError(f"expected page {page}, got {hidden.get('page')}")
        fields = [
            ("csrfmiddlewaretoken", browser.cookies["csrftoken"]),
            ("key", hidden["key"]),
            ("page", page),
            ("action", "next"),
        ]
        for name, value in answers.items():
            for item in value if isinstance(value, list) else [value]:
                fields.append((f"q.{name}", item))
        step = "POST last page (completes)" if index == len(PAGES) - 1 else f"POST {page}"
        status, html = browser.request("POST", path, fields, step=step)
        if status != 200:
            raise RuntimeError(f"POST {page}: {status}")
        if index == len(PAGES) - 1 and 'name="page"' in html:
            raise RuntimeError("the last page did not complete the response")
    return 1


def insert_bare_row(browser: Browser) -> int:
    status, _body = browser.request("POST", "/bench/insert/", [("payload", "店员很热情")])
    if status != 200:
        raise RuntimeError(f"bare view: {status}")
    return 1


WARM_UP_RESPONSES = 5


def warm_up(port: int, slug: str) -> None:
    browser = Browser(port)
    for _round in range(WARM_UP_RESPONSES):
        respond(browser, slug)
        insert_bare_row(browser)


class Phase:
    def __init__(
        self, seconds: float, units: int, latencies: list[float], by_step: dict[str, list[float]]
    ):
        self.seconds = seconds
        self.units = units
        self.latencies = sorted(latencies)
        self.by_step = {step: sorted(values) for step, values in by_step.items()}

    @classmethod
    def merge(cls, phases: list["Phase"]) -> "Phase":
        by_step: dict[str, list[float]] = {}
        for phase in phases:
            for step, values in phase.by_step.items():
                by_step.setdefault(step, []).extend(values)
        return cls(
            sum(phase.seconds for phase in phases),
            sum(phase.units for phase in phases),
            [value for phase in phases for value in phase.latencies],
            by_step,
        )

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return 0.0
        index = min(len(self.latencies) - 1, round(share * (len(self.latencies) - 1)))
        return self.latencies[index] * 1000


def run_phase(port: int, threads: int, seconds: float, work) -> Phase:
    """Run ``work(browser)`` in every thread until ``seconds`` pass; count its units."""
    stop = threading.Event()
    browsers = [Browser(port) for _ in range(threads)]
    counts = [0] * threads
    failures: list[BaseException] = []

    def loop(position: int) -> None:
        try:
            while not stop.is_set():
                counts[position] += work(browsers[position])
        except BaseException as error:  # report it after the phase
            failures.append(error)
            stop.set()

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    stop.wait(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"a request failed: {failures[0]}")
    by_step: dict[str, list[float]] = {}
    for browser in browsers:
        for step, values in browser.by_step.items():
            by_step.setdefault(step, []).extend(values)
    return Phase(
        elapsed, sum(counts), [x for browser in browsers for x in browser.latencies], by_step
    )


# --- results and clean-up ------------------------------------------------------------------------


def count_completed(survey_id: int) -> int:
    from kesheng.surveys.models import Response

    return Response.objects.filter(survey_id=survey_id, status="completed").count()


def delete_bench_data(survey_id: int) -> None:
    from django.db import connection

    from bench.respond_urls import BARE_TABLE
    from kesheng.surveys.models import Response, ResponseValue, Survey

    ResponseValue.objects.filter(survey_id=survey_id).delete()
    Response.objects.filter(survey_id=survey_id).delete()
    Survey.objects.filter(pk=survey_id).update(current_version=None)
    Survey.objects.filter(pk=survey_id).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {BARE_TABLE}")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def report(arguments, pages: Phase, bare: Phase, completed: int) -> None:
    page_rate = pages.requests / pages.seconds
    bare_rate = bare.requests / bare.seconds
    print(f"machine: {machine()}")
    events = f"queued on {arguments.redis_url}" if arguments.redis_url else "run in-process"
    print(
        f"gunicorn {arguments.workers} sync workers, {arguments.threads} client threads, "
        f"{arguments.seconds:.0f} s per phase in {arguments.rounds} alternating rounds, "
        f"PostgreSQL, completion events {events}"
    )
    print(
        f"respondent pages: {pages.units / pages.seconds:.1f} responses/s "
        f"({pages.units} responses, {completed - WARM_UP_RESPONSES} more completed in the "
        "database; "
        f"{len(PAGES) + 1} requests each), {page_rate:.0f} requests/s, "
        f"latency p50 {pages.percentile(0.5):.1f} ms, p99 {pages.percentile(0.99):.1f} ms"
    )
    for step, values in pages.by_step.items():
        middle = values[len(values) // 2] * 1000
        tail = values[min(len(values) - 1, round(0.99 * (len(values) - 1)))] * 1000
        print(f"  {step}: p50 {middle:.1f} ms, p99 {tail:.1f} ms")
    print(
        f"bare view (one INSERT): {bare_rate:.0f} requests/s, "
        f"latency p50 {bare.percentile(0.5):.1f} ms, p99 {bare.percentile(0.99):.1f} ms"
    )
    print(
        f"page requests/s vs bare requests/s: {100 * page_rate / bare_rate:.0f} % "
        f"(target >= 50 %, p99 < 100 ms); responses/s vs bare: "
        f"{100 * pages.units / pages.seconds / bare_rate:.0f} %"
    )


if __name__ == "__main__":
    main()
