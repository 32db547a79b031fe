"""Domain events: how a lower app makes a higher one act without importing it.

An action calls ``emit("order.placed", {...})`` inside its transaction. The event is written to
the outbox table with the change and, once the transaction commits, dispatched by the Celery task
``kesheng.core.dispatch_domain_event``: in-process without Redis, on a worker with it. Higher apps
subscribe in their ``AppConfig.ready()`` with ``subscribe(name, handler)``; each handler takes the
payload and must be idempotent, since a retry may call it again.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[[dict], None]
# Events dispatched by one task when emitted together (emit_many).
EMIT_BATCH = 200
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler(payload)`` for every event called ``name`` ("*" for all events)."""
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _subscribers.get(name, []):
        _subscribers[name].remove(handler)


def subscribers_of(name: str) -> list[Handler]:
    return [*_subscribers.get(name, []), *_subscribers.get("*", [])]


def emit(name: str, payload: dict) -> None:
    """Record the event in the current transaction and dispatch it after commit."""
    from kesheng.core.models import DomainEvent

    event = DomainEvent.objects.create(name=name, payload=payload)

    def enqueue() -> None:
        from kesheng.core.tasks import dispatch_domain_event

        try:
            dispatch_domain_event.delay(event.pk)
        except Exception:  # broker down: the outbox keeps it for redispatch_domain_events
            logger.exception("could not enqueue domain event %s; it stays in the outbox", event.pk)

    transaction.on_commit(enqueue)


def emit_many(name: str, payloads: list[dict]) -> None:
    """``emit`` for many events of one kind at once (a periodic check's findings): one INSERT
    for the outbox rows, dispatched after commit by one task per batch of ``EMIT_BATCH``."""
    from kesheng.core.models import DomainEvent

    if not payloads:
        return
    events = DomainEvent.objects.bulk_create(
        [DomainEvent(name=name, payload=payload) for payload in payloads]
    )

    def enqueue() -> None:
        from kesheng.core.tasks import dispatch_domain_events

        ids = [event.pk for event in events]
        for start in range(0, len(ids), EMIT_BATCH):
            try:
                dispatch_domain_events.delay(ids[start : start + EMIT_BATCH])
            except Exception:  # broker down: the outbox keeps them for redispatch_domain_events
                logger.exception(
                    "could not enqueue %d domain events; they stay in the outbox", len(ids)
                )

    transaction.on_commit(enqueue)


def dispatch(event_id: int) -> bool:
    """Run every subscriber of one outbox event once; True if it was dispatched now."""
    from django.utils import timezone

    from kesheng.core.models import DomainEvent

    with transaction.atomic():
        event = (
            DomainEvent.objects.select_for_update()
            .filter(pk=event_id, dispatched_at__isnull=True)
            .first()
        )
        if event is None:
            return False
        for handler in subscribers_of(event.name):
            handler(event.payload)
        event.dispatched_at = timezone.now()
        event.save(update_fields=["dispatched_at"])
    return True
