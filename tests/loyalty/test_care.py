"""Care messages: birthday greetings with the tier's gift, holiday greetings, tier changes and
expiring points — each once per occasion, in the member's language, consent respected."""

from datetime import UTC, date, datetime, timedelta

import pytest

from kesheng.loyalty.actions.campaigns import create_campaign, launch_campaign
from kesheng.loyalty.actions.care import (
    run_care_messages,
    send_birthday_greetings,
    send_expiry_reminders,
    send_holiday_greetings,
    tell_tier_change,
)
from kesheng.loyalty.actions.points import adjust_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.campaign_maths import birthday_days, default_calendar, holidays_to_greet
from kesheng.loyalty.models import CampaignMember, Coupon, PointsAccount, PointsLot
from kesheng.loyalty.programme import ProgrammeFileError, check_programme
from kesheng.messaging.models import Message
from tests.loyalty.campaign_fixtures import COUPON, campaign_values
from tests.loyalty.conftest import programme_document
from tests.messaging.smtp import running_smtp_server, text_part

CARE = {
    "birthday": {"gifts": {"silver": {"reward": "coupon-20"}, "gold": {"points": 500}}},
    "points_expiry": {"days_before": 7},
}
# 10:00 in Shanghai on 15 March 2026, and 08:00 (before the default send hour, 9).
BIRTHDAY_MORNING = datetime(2026, 3, 15, 2, 0, tzinfo=UTC)
TOO_EARLY = datetime(2026, 3, 15, 0, 0, tzinfo=UTC)


@pytest.fixture
def care_programme(db):
    return configure_programme(
        programme_settings=check_programme(
            programme_document(rewards=[COUPON], care=CARE, expiry={"mode": "rolling", "months": 1})
        )
    )


@pytest.fixture
def silver_member(care_programme, make_customer, place_order):
    def build(customer_id="B001", **fields):
        fields.setdefault("email", f"{customer_id.lower()}@example.com")
        fields.setdefault("consents", {"email:marketing": True})
        fields.setdefault("birthday", date(1990, 3, 15))
        customer = make_customer(customer_id, name="李雷", **fields)
        place_order(customer_id, "1500.00")  # first tier: silver
        return customer

    return build


def care_messages(kind: str):
    return Message.objects.filter(reference=f"loyalty.care:{kind}")


def test_programme_file_checks_the_care_key_by_path(db):
    document = programme_document(
        care={
            "birthday": {"gifts": {"platinum": {"points": 5}, "silver": {"reward": "nope"}}},
            "holidays": {
                "calendar": [
                    {"code": "x", "name": {"zh-Hans": "节", "en": "Day"}, "date": "2026-02-30"}
                ]
            },
            "points_expiry": {"days_before": 0},
            "colour": "red",
        }
    )
    with pytest.raises(ProgrammeFileError) as refused:
        check_programme(document)
    assert {problem.path for problem in refused.value.problems} == {
        "care.birthday.gifts.platinum",
        "care.birthday.gifts.silver.reward",
        "care.holidays.calendar[0].date",
        "care.points_expiry.days_before",
        "care.colour",
    }
    stored = check_programme(programme_document(care={})).stored["care"]
    assert stored["send_hour"] == 9 and stored["points_expiry"] == {"days_before": 7}
    assert stored["holidays"]["calendar"] == default_calendar()
    off = check_programme(programme_document(care={"holidays": False})).stored["care"]
    assert off["holidays"] is False


def test_default_calendar_has_the_seven_holidays_of_2026_and_2027():
    calendar = default_calendar()
    assert [
        (item["name"]["zh-Hans"], item["date"]) for item in calendar if item["date"] < "2027"
    ] == [
        ("元旦", "2026-01-01"),
        ("春节", "2026-02-17"),
        ("清明", "2026-04-05"),
        ("劳动节", "2026-05-01"),
        ("端午", "2026-06-19"),
        ("中秋", "2026-09-25"),
        ("国庆", "2026-10-01"),
    ]
    assert len([item for item in calendar if item["date"].startswith("2027")]) == 7
    assert [h.code for h in holidays_to_greet(calendar, date(2027, 2, 5), 1)] == ["spring-festival"]


def test_leap_day_birthdays_are_celebrated_on_28_february_in_other_years():
    assert birthday_days(date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert birthday_days(date(2028, 2, 28)) == [(2, 28)]


def test_birthday_greeting_with_the_tier_gift_is_sent_once_a_year(silver_member):
    customer = silver_member()
    assert send_birthday_greetings(now=TOO_EARLY) == (0, 0)
    assert send_birthday_greetings(now=BIRTHDAY_MORNING) == (1, 1)
    assert send_birthday_greetings(now=BIRTHDAY_MORNING + timedelta(hours=3)) == (0, 0)
    message = care_messages("birthday").get()
    coupon = Coupon.objects.get(customer=customer)
    assert message.idempotency_key == f"loyalty.care.birthday:2026:{customer.pk}"
    assert message.subject == "生日快乐，李雷！"
    assert coupon.code in message.body_text and "满 100 减 20 元券" in message.body_text
    assert message.purpose == "marketing" and message.language == "zh-hans"
    assert PointsAccount.objects.get(customer=customer).balance == 0  # a gift costs no points


def test_birthday_needs_marketing_consent_and_speaks_the_members_language(silver_member):
    refused = silver_member("B002", consents={"email:marketing": False})
    english = silver_member("B003", attributes={"language": "en-US"})
    assert send_birthday_greetings(now=BIRTHDAY_MORNING) == (1, 1)
    message = care_messages("birthday").get()
    assert message.customer == english
    assert message.subject == "Happy birthday, 李雷!"
    assert "20 CNY off 100" in message.body_text
    assert not Coupon.objects.filter(customer=refused).exists()


def test_birthday_email_reaches_a_real_smtp_server(
    silver_member, settings, django_capture_on_commit_callbacks
):
    settings.KESHENG_PUBLIC_URL = "http://testserver"
    customer = silver_member()
    with (
        running_smtp_server(settings) as server,
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_birthday_greetings(now=BIRTHDAY_MORNING)
    assert len(server.messages) == 1
    received = server.messages[0]
    assert received["To"] == "b001@example.com"
    assert received["Subject"] == "生日快乐，李雷！"
    body = text_part(received)
    assert Coupon.objects.get(customer=customer).code in body
    assert "http://testserver/" in body  # the unsubscribe link
    assert care_messages("birthday").get().status == "sent"


def test_holiday_greeting_goes_to_consenting_members_once(silver_member):
    silver_member("H001")
    silver_member("H002", consents={"email:marketing": False})
    spring_festival = datetime(2026, 2, 17, 2, 0, tzinfo=UTC)
    assert send_holiday_greetings(now=datetime(2026, 2, 16, 2, 0, tzinfo=UTC)) == 0
    assert send_holiday_greetings(now=spring_festival) == 1
    assert send_holiday_greetings(now=spring_festival + timedelta(hours=5)) == 0
    message = care_messages("holiday").get()
    assert message.subject == "春节快乐"
    assert message.customer.customer_id == "H001"


def test_tier_change_is_told_once_and_first_tiers_are_not(
    care_programme, make_customer, place_order
):
    make_customer("T001", name="韩梅梅", email="t001@example.com")
    place_order("T001", "500.00")  # first tier (member): not told
    assert not care_messages("tier_change").exists()
    place_order("T001", "600.00")  # 1,100 in 12 months: silver
    message = care_messages("tier_change").get()
    assert message.subject == "恭喜您升级为银卡"
    assert message.purpose == "service" and message.status in ("queued", "sent")
    payload = {
        "customer_pk": message.customer_id,
        "from_tier": "member",
        "to_tier": "silver",
        "reason": "upgrade",
        "changed_at": message.idempotency_key.rsplit(":silver:", 1)[1],
    }
    tell_tier_change(payload)  # the same event delivered again
    assert care_messages("tier_change").count() == 1


def test_points_about_to_expire_are_reminded_once_per_expiry_date(care_programme, make_customer):
    customer = make_customer("E001", name="王芳", email="e001@example.com")
    adjust_points(
        customer_id="E001", request_no="ADJ-1", points=300, reason="goodwill", created_by="staff"
    )
    expires_at = PointsLot.objects.get(customer=customer).expires_at
    assert send_expiry_reminders(now=expires_at - timedelta(days=8)) == 0
    assert send_expiry_reminders(now=expires_at - timedelta(days=3)) == 1
    assert send_expiry_reminders(now=expires_at - timedelta(days=2)) == 0
    message = care_messages("points_expiry").get()
    assert message.subject == "您有 300 积分即将到期"
    assert message.purpose == "service"


def test_nothing_is_sent_without_a_care_key(programme):
    assert send_birthday_greetings(now=BIRTHDAY_MORNING) == (0, 0)
    assert send_holiday_greetings(now=datetime(2026, 2, 17, 2, 0, tzinfo=UTC)) == 0


def test_the_hourly_run_finishes_campaign_deliveries_a_lost_task_left(
    care_programme, campaign_audience
):
    campaign_audience(4)
    campaign = create_campaign(values=campaign_values(control_share="0"))
    launch_campaign(campaign_id=campaign.pk, launched_by="tester")  # on_commit never runs here
    assert CampaignMember.objects.filter(offered_at__isnull=True).count() == 4
    assert run_care_messages().campaign_offers == 4
    assert CampaignMember.objects.filter(offered_at__isnull=True).count() == 0
    assert run_care_messages().campaign_offers == 0


def test_birthday_goes_by_sms_when_only_sms_marketing_is_allowed(silver_member):
    customer = silver_member(
        "S001", phone="13912345678", consents={"email:marketing": False, "sms:marketing": True}
    )
    assert send_birthday_greetings(now=BIRTHDAY_MORNING) == (1, 1)
    message = care_messages("birthday").get()
    assert (message.customer, message.channel) == (customer, "sms")
    assert message.recipient.endswith("13912345678")
    assert "\n" not in message.body_text  # an SMS is one line
