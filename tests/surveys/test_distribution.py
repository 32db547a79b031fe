import re
import struct
from datetime import UTC, datetime, timedelta

import pytest
import segno
from django.test import Client
from django.utils import timezone

from kesheng.commerce.actions import record_orders
from kesheng.core.errors import InvalidInput
from kesheng.customers.models import Consent, Customer
from kesheng.messaging.models import Message
from kesheng.surveys.actions.distribution import (
    create_distribution,
    create_invitations,
    invite_after_order,
    run_due_distributions,
    send_due_invitations,
    send_invitation_batch,
    send_invitations,
    send_reminders,
)
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Distribution, Invitation, Response
from kesheng.surveys.queries.distribution import (
    distribution_path,
    distribution_stats,
    qr_code,
    widget_snippet,
)
from tests.messaging.smtp import running_smtp_server, text_part

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)

DEFINITION = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "default_language": "zh-hans",
    "title": {"zh-hans": "购物满意度调查", "en": "Shopping satisfaction survey"},
    "pages": [
        {
            "name": "p1",
            "title": {"zh-hans": "总体评价", "en": "Overall"},
            "questions": [
                {
                    "name": "nps",
                    "type": "nps",
                    "title": {"zh-hans": "您推荐我们的可能性？", "en": "Would you recommend us?"},
                    "required": True,
                }
            ],
        }
    ],
}


@pytest.fixture
def smtp_server(settings):
    with running_smtp_server(settings) as handler:
        yield handler


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.KESHENG_PUBLIC_URL = "http://testserver"
    settings.KESHENG_SURVEY_FATIGUE_DAYS = 30


@pytest.fixture
def survey(db):
    return create_survey(title="Shopping", definition=DEFINITION, slug="shopping", status="open")


@pytest.fixture
def make_survey(db):
    def make(slug):
        return create_survey(title=slug, definition=DEFINITION, slug=slug, status="open")

    return make


@pytest.fixture
def by_email(survey):
    return create_distribution(survey=survey, kind="email", name="March email")


@pytest.fixture
def willing(make_customer):
    """A customer who said yes to surveys by email and SMS."""

    def make(customer_id, **fields):
        consents = {"email:surveys": True, "sms:surveys": True}
        return make_customer(
            customer_id, email=f"{customer_id.lower()}@example.com", consents=consents, **fields
        )

    return make


def invite(distribution, customers, now=T0):
    return create_invitations(
        distribution=distribution, customer_ids=[c.customer_id for c in customers], now=now
    )


def sent_invitation(distribution, customer, now=T0) -> Invitation:
    invite(distribution, [customer], now=now)
    send_invitation_batch(distribution=distribution, now=now)
    return Invitation.objects.get(distribution=distribution, customer=customer)


# --- email end to end ----------------------------------------------------------------------------


def test_email_invitation_reaches_smtp_personalised_and_its_unsubscribe_link_works(
    by_email, willing, smtp_server, django_capture_on_commit_callbacks
):
    wang = willing("C1", name="Wang Fang", attributes={"language": "en"})
    record_orders(
        items=[
            {
                "order_id": "O-77",
                "customer_id": "C1",
                "ordered_at": "2026-02-20T10:00:00+08:00",
                "amount": "99.00",
                "channel": "web",
            }
        ]
    )
    batch = invite(by_email, [wang], now=timezone.now())  # the task sends at the real time
    assert (batch.created, batch.skipped_consent, batch.skipped_fatigue) == (1, 0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        send_invitations(distribution=by_email)

    invitation = Invitation.objects.get()
    assert invitation.status == "delivered"
    assert invitation.sent_at is not None and invitation.delivered_at is not None
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["Subject"] == "Shopping satisfaction survey"
    assert received["To"] == "c1@example.com"
    body = text_part(received)
    assert body.startswith("Dear Wang Fang,\n")
    assert "It is about your order O-77 of 2026-02-20." in body
    assert f"Answer the survey:\nhttp://testserver/r/{invitation.token}/\n" in body
    assert len(invitation.token) == 43  # 32 random bytes

    path = re.search(r"http://testserver(/m/unsubscribe/\S+/)", body).group(1)
    assert Client().post(path).status_code == 200
    consent = Consent.objects.get(customer=wang, channel="email", purpose="surveys")
    assert consent.is_granted is False
    later = create_distribution(survey=by_email.survey, kind="email")
    again = invite(later, [wang], now=timezone.now() + 60 * DAY)
    assert (again.created, again.skipped_consent) == (0, 1)


def test_a_chinese_speaking_customer_gets_the_chinese_title(by_email, willing):
    li = willing("C2", name="李雷")
    invite(by_email, [li])
    send_invitation_batch(distribution=by_email, now=T0)
    message = Message.objects.get()
    assert (message.language, message.subject) == ("zh-hans", "购物满意度调查")
    assert "李雷" in message.body_text


def test_sms_invitation_carries_the_link(survey, willing, settings, tmp_path):
    settings.KESHENG_SMS_BACKEND = "kesheng.messaging.backends.sms.FileSmsBackend"
    settings.KESHENG_SMS_FILE_DIR = tmp_path
    by_sms = create_distribution(survey=survey, kind="sms")
    customer = willing("C3", phone="13800138003", attributes={"language": "en"})
    invitation = sent_invitation(by_sms, customer)
    message = Message.objects.get()
    assert message.channel == "sms"
    assert message.recipient == "+8613800138003"
    assert f"http://testserver/r/{invitation.token}/" in message.body_text


def test_no_message_to_a_customer_without_consent(by_email, make_customer, smtp_server):
    silent = make_customer("C4", email="c4@example.com")
    refused = make_customer("C5", email="c5@example.com", consents={"email:surveys": False})
    batch = invite(by_email, [silent, refused])
    assert (batch.created, batch.skipped_consent) == (0, 2)
    assert send_invitation_batch(distribution=by_email, now=T0) == 0
    assert Message.objects.count() == 0
    assert smtp_server.messages == []
    assert set(Invitation.objects.values_list("status", flat=True)) == {"skipped_consent"}


def test_consent_withdrawn_between_invitation_and_sending_skips_it(by_email, willing):
    from kesheng.customers.actions import set_consent

    customer = willing("C6")
    invite(by_email, [customer])
    set_consent(customer=customer, channel="email", purpose="surveys", is_granted=False, source="t")
    send_invitation_batch(distribution=by_email, now=T0)
    assert Invitation.objects.get().status == "skipped_consent"
    assert Message.objects.get().status == "suppressed"


def test_sending_never_happens_inside_the_web_request(
    by_email, willing, django_capture_on_commit_callbacks
):
    invite(by_email, [willing("C7"), willing("C8")])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_invitations(distribution=by_email)
    assert len(callbacks) == 1  # the task, enqueued after commit
    assert Message.objects.count() == 0
    assert set(Invitation.objects.values_list("status", flat=True)) == {"pending"}


def test_sending_a_draft_survey_or_a_link_distribution_is_refused(survey, by_email):
    link = create_distribution(survey=survey, kind="link")
    with pytest.raises(InvalidInput) as refused:
        send_invitations(distribution=link)
    assert refused.value.errors[0].field == "distribution"
    survey.status = "draft"
    survey.save()
    with pytest.raises(InvalidInput) as refused:
        send_invitations(distribution=by_email)
    assert refused.value.errors[0].field == "survey"


def test_an_expired_invitation_is_not_sent(by_email, willing):
    invite(by_email, [willing("C9")])
    send_invitation_batch(distribution=by_email, now=T0 + 31 * DAY)
    assert Invitation.objects.get().status == "expired"
    assert Message.objects.count() == 0


def test_invitations_expire_after_the_option_or_thirty_days(survey, willing):
    customer = willing("C10")
    default = create_distribution(survey=survey, kind="personal")
    invite(default, [customer])
    assert Invitation.objects.get(distribution=default).expires_at == T0 + 30 * DAY
    short = create_distribution(survey=survey, kind="personal", options={"expires_days": 7})
    invite(short, [willing("C11")])
    assert Invitation.objects.get(distribution=short).expires_at == T0 + 7 * DAY


def test_invitations_by_filter_and_unknown_ids(survey, willing):
    willing("C12", city="杭州", tags=["vip"])
    willing("C13", city="杭州")
    willing("C14", city="上海", tags=["vip"])
    personal = create_distribution(survey=survey, kind="personal")
    assert create_invitations(distribution=personal, city="杭州", tag="vip", now=T0).created == 1
    other = create_distribution(survey=survey, kind="personal")
    batch = create_invitations(distribution=other, customer_ids=["C13", "NOPE"], now=T0)
    assert (batch.created, batch.unknown_customer_ids) == (1, ["NOPE"])
    with pytest.raises(InvalidInput):
        create_invitations(distribution=other, now=T0)


# --- fatigue -------------------------------------------------------------------------------------


def test_no_customer_is_invited_twice_within_the_fatigue_window_across_surveys(
    by_email, make_survey, willing
):
    customer = willing("C20")
    sent_invitation(by_email, customer, now=T0)
    other = create_distribution(survey=make_survey("other"), kind="email")
    inside = invite(other, [customer], now=T0 + 29 * DAY)
    assert (inside.created, inside.skipped_fatigue) == (0, 1)
    assert Invitation.objects.filter(distribution=other).get().status == "skipped_fatigue"
    third = create_distribution(survey=make_survey("third"), kind="email")
    after = invite(third, [customer], now=T0 + 31 * DAY)
    assert (after.created, after.skipped_fatigue) == (1, 0)


def test_an_invitation_waiting_to_be_sent_also_counts_for_fatigue(by_email, make_survey, willing):
    customer = willing("C21")
    invite(by_email, [customer])
    other = create_distribution(survey=make_survey("other"), kind="personal")
    assert invite(other, [customer], now=T0 + DAY).skipped_fatigue == 1


def test_skipped_invitations_do_not_count_for_fatigue(
    by_email, make_survey, make_customer, willing
):
    customer = make_customer("C22", email="c22@example.com")
    assert invite(by_email, [customer]).skipped_consent == 1
    other = create_distribution(survey=make_survey("other"), kind="personal")
    assert invite(other, [customer], now=T0 + DAY).created == 1


def test_fatigue_window_is_a_setting(by_email, make_survey, willing, settings):
    settings.KESHENG_SURVEY_FATIGUE_DAYS = 7
    customer = willing("C23")
    sent_invitation(by_email, customer)
    other = create_distribution(survey=make_survey("other"), kind="email")
    assert invite(other, [customer], now=T0 + 8 * DAY).created == 1


# --- reminders -----------------------------------------------------------------------------------


def reminder_keys() -> list[str]:
    return sorted(
        Message.objects.filter(idempotency_key__startswith="surveys.reminder:").values_list(
            "idempotency_key", flat=True
        )
    )


def test_reminders_go_after_n_days_at_most_m_times_to_non_respondents_only(survey, willing):
    reminding = create_distribution(
        survey=survey, kind="email", options={"reminder_after_days": 3, "max_reminders": 2}
    )
    silent = sent_invitation(reminding, willing("C30"))
    answered = sent_invitation(reminding, willing("C31"))
    Invitation.objects.filter(pk=answered.pk).update(status="completed", completed_at=T0 + DAY)

    assert send_reminders(distribution=reminding, now=T0 + 2 * DAY) == 0
    assert send_reminders(distribution=reminding, now=T0 + 3 * DAY) == 1
    assert send_reminders(distribution=reminding, now=T0 + 5 * DAY) == 0  # 2 days since the last
    assert send_reminders(distribution=reminding, now=T0 + 6 * DAY) == 1
    assert send_reminders(distribution=reminding, now=T0 + 20 * DAY) == 0  # two is the most
    silent.refresh_from_db()
    assert (silent.reminder_count, silent.last_reminded_at) == (2, T0 + 6 * DAY)
    assert reminder_keys() == [
        f"surveys.reminder:{silent.pk}:1",
        f"surveys.reminder:{silent.pk}:2",
    ]
    reminder = Message.objects.get(idempotency_key=f"surveys.reminder:{silent.pk}:1")
    assert reminder.subject == "提醒：购物满意度调查" or reminder.subject.endswith("购物满意度调查")
    assert f"/r/{silent.token}/" in reminder.body_text


def test_no_reminders_without_the_option_or_after_expiry(survey, by_email, willing):
    sent_invitation(by_email, willing("C32"))
    assert send_reminders(distribution=by_email, now=T0 + 10 * DAY) == 0
    reminding = create_distribution(
        survey=survey,
        kind="email",
        options={"reminder_after_days": 3, "max_reminders": 5, "expires_days": 5},
    )
    sent_invitation(reminding, willing("C33"), now=T0 - 40 * DAY)  # outside fatigue of C32's
    assert send_reminders(distribution=reminding, now=T0 - 40 * DAY + 6 * DAY) == 0


# --- triggers and schedules ----------------------------------------------------------------------


def test_an_order_schedules_one_invitation_once_for_that_order(
    survey, willing, django_capture_on_commit_callbacks
):
    after_order = create_distribution(
        survey=survey,
        kind="email",
        options={"trigger": "order_placed", "delay_hours": 24},
    )
    willing("C40")
    ordered_at = timezone.now().replace(microsecond=0)
    order = {
        "order_id": "O-1",
        "customer_id": "C40",
        "ordered_at": ordered_at.isoformat(),
        "amount": "10.00",
        "channel": "web",
    }
    with django_capture_on_commit_callbacks(execute=True):
        record_orders(items=[order])
        record_orders(items=[order])  # a duplicate order emits nothing
    invitation = Invitation.objects.get()
    assert invitation.distribution == after_order
    assert invitation.trigger_key == "order:O-1"
    assert invitation.send_after == ordered_at + timedelta(hours=24)
    assert invitation.status == "pending"  # the countdown has not run out

    payload = {"order_id": "O-1", "customer_id": "C40", "ordered_at": ordered_at.isoformat()}
    invite_after_order(payload)  # the event delivered again
    assert Invitation.objects.count() == 1

    assert send_due_invitations(now=ordered_at + timedelta(hours=23)) == 0
    assert send_due_invitations(now=ordered_at + timedelta(hours=25)) == 1
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert Message.objects.get().idempotency_key == f"surveys.invitation:{invitation.pk}"


def test_orders_of_unknown_customers_or_without_trigger_distributions_invite_nobody(
    survey, by_email, willing
):
    invite_after_order({"order_id": "O-2", "customer_id": "C41", "ordered_at": T0.isoformat()})
    create_distribution(survey=survey, kind="email", options={"trigger": "order_placed"})
    invite_after_order({"order_id": "O-3", "customer_id": "NOBODY", "ordered_at": T0.isoformat()})
    assert Invitation.objects.count() == 0


def test_a_quarterly_schedule_invites_its_filter_and_moves_on_one_quarter(survey, willing):
    willing("C50", city="杭州")
    willing("C51", city="上海")
    quarterly = create_distribution(
        survey=survey,
        kind="email",
        options={"schedule": {"every": "quarter", "filter": {"city": "杭州"}}},
    )
    assert run_due_distributions(now=T0) == 1
    assert list(Invitation.objects.values_list("customer__customer_id", flat=True)) == ["C50"]
    quarterly.refresh_from_db()
    assert quarterly.options["schedule"]["next_run_at"] == "2026-06-02T01:00:00+00:00"
    assert run_due_distributions(now=T0 + DAY) == 0
    assert run_due_distributions(now=datetime(2026, 6, 2, 2, tzinfo=UTC)) == 1
    # C50 was invited within the fatigue window? No: 92 days later; a second invitation.
    assert Invitation.objects.filter(customer__customer_id="C50").count() == 2


# --- incentive -----------------------------------------------------------------------------------


def test_completing_a_response_sends_one_thank_you_with_the_next_coupon_code(
    survey, willing, django_capture_on_commit_callbacks
):
    from kesheng.surveys.actions.responses import complete_response, start_response

    rewarding = create_distribution(
        survey=survey, kind="email", options={"incentive": {"codes": ["THANKS-A", "THANKS-B"]}}
    )
    customer = willing("C60", name="Wang Fang", attributes={"language": "en"})
    invitation = sent_invitation(rewarding, customer, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = start_response(survey=survey, invitation=invitation, language="en")
        complete_response(response=response, clean_answers={"nps": 9})
    thanks = Message.objects.get(idempotency_key=f"surveys.incentive:{response.pk}")
    assert "THANKS-A" in thanks.body_text
    assert thanks.subject == "Thank you for your feedback"
    from kesheng.surveys.actions.distribution import send_incentive

    send_incentive({"response_id": response.pk})  # the event delivered again
    assert Message.objects.filter(idempotency_key__startswith="surveys.incentive:").count() == 1
    rewarding.refresh_from_db()
    assert rewarding.options["issued_codes"] == {str(response.pk): "THANKS-A"}


def test_a_code_pattern_makes_a_fresh_code(survey, willing):
    from kesheng.surveys.actions.distribution import _issue_code

    rewarding = create_distribution(
        survey=survey, kind="email", options={"incentive": {"code_pattern": "KS-{code}"}}
    )
    first = _issue_code(rewarding, 1)
    assert re.fullmatch(r"KS-[0-9A-F]{8}", first)
    assert _issue_code(rewarding, 1) == first
    assert _issue_code(rewarding, 2) != first


# --- QR codes, widget, options -------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_qr_codes_are_a_png_of_the_right_size_and_an_svg_naming_the_url(survey):
    from kesheng.commerce.actions import save_store

    save_store(code="SH01", name_zh="上海一店", name_en="Shanghai 1")
    from kesheng.commerce.models import Store

    in_store = create_distribution(survey=survey, kind="qr", store=Store.objects.get())
    assert in_store.name == "QR code · 上海一店" or in_store.name.endswith("上海一店")
    path = distribution_path(in_store)
    assert path == f"/s/shopping/?d={in_store.key}"
    expected = segno.make(f"http://testserver{path}", error="m").symbol_size(scale=10, border=4)
    assert png_size(qr_code(in_store, "png")) == expected
    svg = qr_code(in_store, "svg").decode()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert f"<title>http://testserver{path}</title>" in svg.replace("&amp;", "&")
    with pytest.raises(ValueError):
        qr_code(in_store, "gif")


def test_widget_snippet_loads_only_our_script(survey, settings):
    widget = create_distribution(survey=survey, kind="widget")
    snippet = widget_snippet(widget)
    assert snippet.startswith('<script src="http://testserver/static/kesheng/widget.js" ')
    assert f'data-kesheng-survey="http://testserver/s/shopping/?d={widget.key}"' in snippet
    script = (settings.PACKAGE_DIR / "static" / "kesheng" / "widget.js").read_text()
    assert "http" not in script.replace("^https?:", "").split("*/", 1)[1]


def test_bad_distribution_options_are_refused_by_name_and_nothing_is_written(survey):
    with pytest.raises(InvalidInput) as refused:
        create_distribution(
            survey=survey,
            kind="link",
            options={
                "expires_days": 0,
                "trigger": "birthday",
                "incentive": {"codes": []},
                "schedule": {"every": "fortnight"},
            },
        )
    fields = [error.field for error in refused.value.errors]
    assert fields == [
        "options.expires_days",
        "options.trigger",
        "options",
        "options.schedule.every",
        "options.incentive",
    ]
    with pytest.raises(InvalidInput):
        create_distribution(survey=survey, kind="carrier_pigeon")
    assert Distribution.objects.count() == 0


# --- bulk and statistics -------------------------------------------------------------------------


def test_ten_thousand_invitations_are_created_in_a_few_queries(
    by_email, django_assert_max_num_queries
):
    # Built in bulk, not through upsert_customer: ten thousand profiles one by one would make
    # this test slow without testing anything more.
    now = timezone.now()
    Customer.objects.bulk_create(
        [Customer(customer_id=f"B{n:05d}", city="杭州") for n in range(10_000)], batch_size=2000
    )
    pks = list(Customer.objects.filter(city="杭州").values_list("pk", flat=True))
    Consent.objects.bulk_create(
        [
            Consent(
                customer_id=pk, channel="email", purpose="surveys", is_granted=True, recorded_at=now
            )
            for pk in pks[:9_000]
        ],
        batch_size=2000,
    )
    # 39 on PostgreSQL; SQLite's 999 bound parameters split the insert into 172 batches.
    # Either way a constant per row batch, never a query per customer.
    with django_assert_max_num_queries(250):
        batch = create_invitations(distribution=by_email, city="杭州", now=T0)
    assert (batch.created, batch.skipped_consent) == (9_000, 1_000)
    assert Invitation.objects.filter(distribution=by_email).count() == 10_000
    assert len(set(Invitation.objects.values_list("token", flat=True))) == 10_000


def test_statistics_per_distribution_in_one_query(
    survey, by_email, willing, make_customer, django_assert_num_queries
):
    customers = [willing(f"C7{n}") for n in range(5)]
    invite(by_email, [*customers, make_customer("C79", email="c79@example.com")])
    send_invitation_batch(distribution=by_email, now=T0)
    first, second, third, fourth, _ = Invitation.objects.filter(status="sent").order_by("pk")
    Invitation.objects.filter(pk=first.pk).update(delivered_at=T0)
    Invitation.objects.filter(pk=second.pk).update(opened_at=T0)
    Invitation.objects.filter(pk=third.pk).update(opened_at=T0, started_at=T0)
    Invitation.objects.filter(pk=fourth.pk).update(
        opened_at=T0, started_at=T0, completed_at=T0, status="completed"
    )
    with django_assert_num_queries(1):
        stats = distribution_stats([by_email.pk])[by_email.pk]
    assert (stats.invited, stats.sent, stats.delivered, stats.opened) == (6, 5, 4, 3)
    assert (stats.started, stats.completed, stats.skipped_consent) == (2, 1, 1)
    assert stats.response_rate == 0.2


def test_link_distributions_count_their_responses(survey):
    from kesheng.surveys.actions.responses import complete_response, start_response

    link = create_distribution(survey=survey, kind="link")
    done = start_response(survey=survey, distribution=link)
    complete_response(response=done, clean_answers={"nps": 3})
    start_response(survey=survey, distribution=link)
    stats = distribution_stats([link.pk])[link.pk]
    assert (stats.sent, stats.started, stats.completed, stats.response_rate) == (0, 2, 1, None)
    assert Response.objects.count() == 2
