from datetime import timedelta

from django.utils import timezone

from kesheng.customers.models import Consent, Customer
from kesheng.messaging.models import Message
from kesheng.surveys.actions.distribution import create_distribution, create_invitations
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Invitation
from kesheng.surveys.tasks import (
    run_due_distributions_task,
    send_due_invitations_task,
    send_due_reminders_task,
    send_invitation_task,
    send_invitations_task,
)
from tests.surveys.test_distribution import DEFINITION


def test_send_invitations_task_sends_every_chunk(db):
    survey = create_survey(title="S", definition=DEFINITION, slug="s", status="open")
    by_email = create_distribution(survey=survey, kind="email")
    now = timezone.now()
    Customer.objects.bulk_create([Customer(customer_id=f"T{n:03d}") for n in range(450)])
    pks = list(Customer.objects.values_list("pk", flat=True))
    Consent.objects.bulk_create(
        Consent(
            customer_id=pk, channel="email", purpose="surveys", is_granted=True, recorded_at=now
        )
        for pk in pks
    )
    create_invitations(distribution=by_email, customer_pks=pks, now=now)
    assert send_invitations_task.delay(by_email.pk).get() == 450  # three chunks of 200
    # Nobody has an email address here, so each message failed with that reason.
    assert Invitation.objects.filter(status="failed").count() == 450
    assert Message.objects.filter(error="the customer has no email address").count() == 450
    assert send_invitations_task.delay(by_email.pk).get() == 0
    assert send_invitations_task.delay(999_999).get() == 0


def test_periodic_tasks_run_with_nothing_to_do(db):
    assert send_due_invitations_task.delay().get() == 0
    assert send_due_reminders_task.delay().get() == 0
    assert run_due_distributions_task.delay().get() == 0


def test_a_triggered_invitation_is_not_sent_before_its_time(db, make_customer):
    survey = create_survey(title="S", definition=DEFINITION, slug="s", status="open")
    by_email = create_distribution(survey=survey, kind="email")
    customer = make_customer("T1", email="t1@example.com", consents={"email:surveys": True})
    batch = create_invitations(
        distribution=by_email,
        customer_pks=[customer.pk],
        send_after=timezone.now() + timedelta(hours=2),
    )
    assert send_invitation_task.delay(batch.invitation_ids[0]).get() is False
    assert Invitation.objects.get().status == "pending"
