"""Celery entry points of the core: domain-event dispatch and its safety net.

Each task sets its soft time limit with its hard one: Celery refuses to send a task whose soft
limit is above its own hard limit, and a task without one gets no soft limit at all.
"""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task(
    name="kesheng.core.dispatch_domain_event",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
    time_limit=120,
    soft_time_limit=100,
    # Nobody reads the result; storing it would make every caller wait on a result channel.
    ignore_result=True,
)
def dispatch_domain_event(event_id: int) -> bool:
    from kesheng.core.events import dispatch

    return dispatch(event_id)


@shared_task(
    name="kesheng.core.dispatch_domain_events",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
    time_limit=600,
    soft_time_limit=570,
    ignore_result=True,
)
def dispatch_domain_events(event_ids: list[int]) -> int:
    """Dispatch a batch of outbox events (``emit_many``); a retry skips those already done."""
    from kesheng.core.events import dispatch

    return sum(dispatch(event_id) for event_id in event_ids)


@shared_task(name="kesheng.core.redispatch_domain_events", time_limit=600, soft_time_limit=570)
def redispatch_domain_events(older_than_seconds: int = 300) -> int:
    """Dispatch outbox events that were never dispatched (the broker was down, a worker died)."""
    from kesheng.core.events import dispatch
    from kesheng.core.models import DomainEvent

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = DomainEvent.objects.filter(dispatched_at__isnull=True, created_at__lt=cutoff)
    return sum(dispatch(event_id) for event_id in pending.values_list("pk", flat=True)[:10_000])


@shared_task(name="kesheng.core.ping", time_limit=30, soft_time_limit=20)
def ping(value: str = "pong") -> str:
    """A no-op task used to check that a worker is alive and reachable (``kesheng worker``)."""
    return value
