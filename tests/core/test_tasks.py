"""Background tasks: in-process without Redis, through a real broker and worker with it.

The Redis half needs a server at ``REDIS_TEST_URL`` (default redis://127.0.0.1:6379/15). When
none answers it is skipped with a message, unless ``KESHENG_REQUIRE_REDIS=1`` (CI), where an
unreachable Redis fails the run instead of passing silently.
"""

import os
import threading
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from django.db import OperationalError, transaction

from kesheng.celery import app
from kesheng.core.events import emit, subscribe, unsubscribe
from kesheng.core.models import DomainEvent
from kesheng.core.tasks import ping

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def test_without_redis_a_task_runs_in_process():
    assert app.conf.task_always_eager is True
    result = ping.delay("in-process")
    assert isinstance(result, EagerResult)
    assert result.get() == "in-process"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except Exception as error:
        problem = f"Redis does not answer at {REDIS_TEST_URL} ({error})"
        if os.environ.get("KESHENG_REQUIRE_REDIS") == "1":
            pytest.fail(f"{problem}, and KESHENG_REQUIRE_REDIS=1 requires it.")
        pytest.skip(f"{problem}: broker test skipped. Start Redis or set REDIS_TEST_URL.")


@pytest.fixture
def redis_worker():
    """The Celery app pointed at the test Redis with eager mode off, and a worker thread
    consuming a queue of this test's own (so a parallel run cannot take its tasks)."""
    _redis_or_skip()
    queue = f"kesheng-test-{uuid.uuid4().hex[:12]}"
    overrides = {
        "broker_url": REDIS_TEST_URL,
        "result_backend": REDIS_TEST_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
    }
    saved = {name: app.conf.get(name) for name in overrides}
    app.conf.update(overrides)
    _forget_connections()
    try:
        with start_worker(
            app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=20
        ) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        _forget_connections()


def _forget_connections() -> None:
    # The connection pool, the producer pool and the result backend are cached on first use;
    # dropping them makes the next use build them from the current broker and backend URLs.
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()


@pytest.mark.redis
def test_ping_runs_on_a_worker_through_redis(redis_worker):
    result = ping.delay("through redis")
    assert not isinstance(result, EagerResult)
    assert result.get(timeout=20) == "through redis"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_domain_event_is_dispatched_by_a_worker_through_redis(redis_worker):
    received: list[dict] = []

    def handler(payload: dict) -> None:
        received.append(payload)

    subscribe("test.through_broker", handler)
    try:
        with transaction.atomic():
            emit("test.through_broker", {"order_id": "O-REDIS-1"})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if DomainEvent.objects.filter(dispatched_at__isnull=False).exists():
                    break
            except OperationalError:
                # SQLite's shared in-memory test database refuses a read while the worker
                # thread's dispatch holds the table ("database table is locked"): ask again.
                pass
            time.sleep(0.1)
    finally:
        unsubscribe("test.through_broker", handler)
    event = DomainEvent.objects.get()
    assert event.dispatched_at is not None
    assert received == [{"order_id": "O-REDIS-1"}]
