"""Celery entry points of messaging: send one message, and the sweep that sends what a lost
task or a failed attempt left queued."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

# Seconds before the n-th retry: 1, 2, 4, 8, 16 minutes.
RETRY_BASE_SECONDS = 60


@shared_task(
    bind=True,
    name="kesheng.messaging.send_message",
    max_retries=5,
    time_limit=90,
    soft_time_limit=75,
)
def send_message_task(self, message_id: int) -> str:
    """Send one outbox message; a transient failure is retried with exponential backoff."""
    from kesheng.messaging.actions import send_message
    from kesheng.messaging.models import MessageStatus

    message = send_message(message_id=message_id)
    # In-process (eager) mode a retry would run at once and block the caller: the sweep retries.
    if message.status == MessageStatus.QUEUED and not self.request.is_eager:
        raise self.retry(countdown=RETRY_BASE_SECONDS * 2**self.request.retries)
    return message.status


@shared_task(name="kesheng.messaging.send_queued_messages", time_limit=900, soft_time_limit=870)
def send_queued_messages(older_than_seconds: int = 600, limit: int = 5000) -> int:
    """Send messages still queued after ``older_than_seconds`` (broker down, retries spent);
    returns how many were sent now."""
    from kesheng.messaging.actions import send_message
    from kesheng.messaging.models import Message, MessageStatus

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = Message.objects.filter(status=MessageStatus.QUEUED, created_at__lt=cutoff)
    sent = 0
    for message_id in pending.order_by("created_at").values_list("pk", flat=True)[:limit]:
        sent += send_message(message_id=message_id).status == MessageStatus.SENT
    return sent
