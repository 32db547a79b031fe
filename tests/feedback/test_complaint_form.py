"""The public complaint form: one item and one case per complaint, refused input stores
nothing, the honeypot, the rate limit, photos for staff only, both languages."""

import io
import re

import pytest
from django.core.cache import cache
from django.test import Client
from PIL import Image

from kesheng.cases.models import Case
from kesheng.commerce.actions import grant_store_access, record_orders
from kesheng.customers.models import Customer
from kesheng.feedback.models import ComplaintDetails, FeedbackItem
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

FORM = "/complaint/"


@pytest.fixture(autouse=True)
def media_and_rate_limit(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def photo_bytes(image_format: str = "PNG", size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, image_format)
    return buffer.getvalue()


def upload(content: bytes, name: str = "photo.png") -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


def form_key(page) -> str:
    return re.search(r'name="key" value="([^"]+)"', page.content.decode()).group(1)


def send(client, **fields):
    page = client.get(FORM)
    data = {"key": form_key(page), "text": "收银台排队半小时，店员态度很差", **fields}
    return client.post(FORM, data)


def test_a_complaint_is_stored_with_its_details_and_opens_a_case(
    browser, stores, customer, django_capture_on_commit_callbacks
):
    record_orders(
        items=[
            {
                "order_id": "SO-1001",
                "customer_id": "C001",
                "store": "bj01",
                "ordered_at": "2026-12-01T10:00:00+08:00",
                "amount": "88.00",
                "channel": "store",
            }
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(
            browser,
            order_number="SO-1001",
            contact_name="王芳",
            phone="138 0013 8000",
            email="Wang.Fang@Example.com",
            contact_requested="on",
            consent_to_contact="on",
            photo=upload(photo_bytes()),
        )
    assert sent.status_code == 302
    item = FeedbackItem.objects.get()
    assert sent["Location"].startswith("/complaint/thanks/?r=")
    thanks = browser.get(sent["Location"])
    assert thanks.status_code == 200
    assert item.source_id in thanks.content.decode()
    assert re.fullmatch(r"CF-[0-9A-HJKMNP-TV-Z]{10}", item.source_id)
    assert (item.source, item.text, item.language, item.author) == (
        "complaint",
        "收银台排队半小时，店员态度很差",
        "en",
        "王芳",
    )
    assert (item.customer.customer_id, item.store.code) == ("C001", "bj01")
    details = ComplaintDetails.objects.get(item=item)
    assert (
        details.phone,
        details.email,
        details.contact_requested,
        details.consent_to_contact,
        details.order.order_id,
        details.photo_content_type,
    ) == ("+8613800138000", "wang.fang@example.com", True, True, "SO-1001", "image/png")
    assert details.photo.name.startswith("complaints/") and details.photo.name.endswith(".png")
    case = Case.objects.get()
    # A complaint is P2, raised to P1 by its strongly negative sentiment (docs/cases.md).
    assert (case.feedback_item_id, case.category, case.urgency, case.store.code) == (
        item.pk,
        "complaint",
        "P1",
        "bj01",
    )


def test_the_same_form_sent_twice_stores_one_complaint(browser, stores):
    page = browser.get(FORM)
    data = {"key": form_key(page), "text": "The fitting room was dirty."}
    first = browser.post(FORM, data)
    second = browser.post(FORM, data)
    assert first.status_code == second.status_code == 302
    reference = FeedbackItem.objects.get().source_id
    assert reference in browser.get(first["Location"]).content.decode()
    assert reference in browser.get(second["Location"]).content.decode()


def test_an_anonymous_complaint_links_no_customer_and_creates_none(browser, stores, customer):
    sent = send(browser, store="sh01", email="someone.else@example.com", consent_to_contact="on")
    assert sent.status_code == 302
    item = FeedbackItem.objects.get()
    assert (item.customer, item.store.code) == (None, "sh01")
    assert ComplaintDetails.objects.get().order is None
    assert list(Customer.objects.values_list("customer_id", flat=True)) == ["C001"]


def test_a_known_phone_links_its_customer(browser, stores, customer):
    assert send(browser, phone="+86-138-0013-8000", consent_to_contact="on").status_code == 302
    assert FeedbackItem.objects.get().customer_id == customer.pk


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": ""}, "text", "Please tell us what happened."),
        ({"text": "bad"}, "text", "Ensure this value has at least 5 characters (it has 3)."),
        ({"text": "x" * 5001}, "text", "Ensure this value has at most 5000 characters"),
        (
            {"email": "not-an-email", "consent_to_contact": "on"},
            "email",
            "Enter a valid email address.",
        ),
        (
            {"phone": "12", "consent_to_contact": "on"},
            "phone",
            "Please enter a valid phone number.",
        ),
        (
            {"contact_requested": "on", "consent_to_contact": "on"},
            "phone",
            "Please give a phone number or an email so we can contact you.",
        ),
        (
            {"phone": "13800138000"},
            "consent_to_contact",
            "Please agree, or leave your name, phone and email empty.",
        ),
        (
            {"photo": upload(b"%PDF-1.4 not a photo", "photo.jpg")},
            "photo",
            "Please choose a JPEG, PNG or WebP photo.",
        ),
        (
            {"photo": upload(b"\xff\xd8\xff\xe0 truncated jpeg", "photo.jpg")},
            "photo",
            "Please choose a JPEG, PNG or WebP photo.",
        ),
        (
            {"photo": upload(b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), "big.jpg")},
            "photo",
            "The photo is larger than 5 MB.",
        ),
    ],
)
def test_bad_input_is_named_next_to_its_field_and_stores_nothing(
    browser, stores, fields, field, message
):
    refused = send(browser, **fields)
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)
    assert message in refused.content.decode().replace("&#x27;", "'")
    assert (
        FeedbackItem.objects.count(),
        ComplaintDetails.objects.count(),
        Case.objects.count(),
    ) == (
        0,
        0,
        0,
    )


def test_a_filled_honeypot_is_thanked_and_nothing_is_stored(browser, stores):
    sent = send(browser, website="http://spam.example")
    assert sent.status_code == 302
    assert browser.get(sent["Location"]).status_code == 200
    assert FeedbackItem.objects.count() == 0


def test_posts_beyond_the_rate_limit_get_429(browser, stores, settings):
    settings.KESHENG_PUBLIC_POSTS_PER_MINUTE = 2
    assert send(browser, text="first complaint").status_code == 302
    assert send(browser, text="second complaint").status_code == 302
    refused = send(browser, text="third complaint")
    assert refused.status_code == 429
    assert FeedbackItem.objects.count() == 2
    other_address = Client(REMOTE_ADDR="10.0.0.9", HTTP_ACCEPT_LANGUAGE="en")
    assert send(other_address, text="from elsewhere").status_code == 302


def test_csrf_protection_stays_on(stores):
    client = Client(enforce_csrf_checks=True)
    page = client.get(FORM)
    data = {"key": form_key(page), "text": "Nobody answered the phone."}
    assert client.post(FORM, data).status_code == 403
    assert FeedbackItem.objects.count() == 0
    token = client.cookies["csrftoken"].value
    assert client.post(FORM, {**data, "csrfmiddlewaretoken": token}).status_code == 302


def test_the_photo_is_for_staff_who_may_see_the_item_only(browser, stores, client):
    send(browser, store="sh01", photo=upload(photo_bytes("JPEG"), "IMG_0001.jpg"))
    item = FeedbackItem.objects.get()
    details = ComplaintDetails.objects.get()
    photo_url = f"/feedback/{item.pk}/photo/"
    assert "IMG_0001" not in details.photo.name
    anonymous = Client()
    assert anonymous.get(photo_url).status_code == 302  # to the login page
    assert anonymous.get("/media/" + details.photo.name).status_code == 404
    create_staff_user("cx.zhang", role="cx_manager")
    client.login(username="cx.zhang", password=STAFF_PASSWORD)
    page = client.get(f"/feedback/{item.pk}/")
    assert photo_url in page.content.decode()
    shown = client.get(photo_url)
    assert (shown.status_code, shown["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(shown.streaming_content).startswith(b"\xff\xd8\xff")


def test_a_store_manager_sees_only_their_stores_photos(browser, stores, client):
    send(browser, store="sh01", photo=upload(photo_bytes()))
    item = FeedbackItem.objects.get()
    manager = create_staff_user("manager.wang", role="store_manager")
    grant_store_access(user=manager, store_codes=["bj01"])
    client.login(username="manager.wang", password=STAFF_PASSWORD)
    assert client.get(f"/feedback/{item.pk}/photo/").status_code == 404
    grant_store_access(user=manager, store_codes=["bj01", "sh01"])
    assert client.get(f"/feedback/{item.pk}/photo/").status_code == 200


def test_the_photo_is_written_again_without_its_metadata(browser, stores):
    image = Image.new("RGB", (20, 20))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: any EXIF must be gone
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert b"PhoneMaker" in buffer.getvalue()
    send(browser, photo=upload(buffer.getvalue(), "a.jpg"))
    stored = ComplaintDetails.objects.get().photo.read()
    assert stored.startswith(b"\xff\xd8\xff") and b"PhoneMaker" not in stored


def test_the_item_page_shows_the_contact_details(browser, stores, client):
    send(browser, contact_name="Li Lei", email="li@example.com", consent_to_contact="on")
    item = FeedbackItem.objects.get()
    create_staff_user("cx.zhang", role="cx_manager")
    client.login(username="cx.zhang", password=STAFF_PASSWORD)
    html = client.get(f"/feedback/{item.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "mailto:li@example.com" in html and "Li Lei" in html and item.source_id in html


def test_the_form_speaks_english_and_chinese(stores):
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(FORM)
    assert english.status_code == 200
    html = english.content.decode()
    assert '<html lang="en">' in html and "Shanghai 1" in html and "What happened?" in html
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get(FORM)
    html = chinese.content.decode()
    assert '<html lang="zh-hans">' in html and "上海一店" in html
    assert 'enctype="multipart/form-data"' in html
    asked = Client(HTTP_ACCEPT_LANGUAGE="en").get(FORM + "?lang=zh-hans").content.decode()
    assert '<html lang="zh-hans">' in asked and "上海一店" in asked
