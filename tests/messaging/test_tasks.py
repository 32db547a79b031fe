from kesheng.messaging.actions import queue_message
from kesheng.messaging.tasks import send_message_task


def test_send_message_task_sends_once(make_customer, mailoutbox):
    customer = make_customer("M1", email="m1@example.com", consents={"email:service": True})
    message = queue_message(
        customer=customer,
        channel="email",
        purpose="service",
        subject="Your case",
        body_text="Solved.",
        idempotency_key="case-1",
    )
    assert send_message_task.delay(message.pk).get() == "sent"
    assert send_message_task.delay(message.pk).get() == "sent"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].extra_headers["List-Unsubscribe"].startswith("<http")
