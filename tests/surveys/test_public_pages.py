"""The respondent's pages over HTTP, as a phone's browser uses them: plain form posts."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesheng.core.models import DomainEvent
from kesheng.surveys.models import (
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    ResponseValue,
    SurveyStatus,
)

# The fixtures (survey, make_survey, qr_distribution, make_invitation, store).
from tests.surveys.response_fixtures import *  # noqa: F403

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0 Mobile Safari/537.36 XWEB/1160065 MicroMessenger/8.0.47"
)
LINK = "/s/store-visit/"


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser():
    return Client(HTTP_USER_AGENT=PHONE, HTTP_ACCEPT_LANGUAGE="en")


def form_key(page) -> str:
    return re.search(r'name="key" value="([^"]+)"', page.content.decode()).group(1)


def shown_page(page) -> str:
    return re.search(r'name="page" value="([^"]+)"', page.content.decode()).group(1)


def send(client, url, page, answers: dict, **extra):
    """Submit ``page`` (a response object) with answers keyed by question name."""
    data = {"key": form_key(page), "page": shown_page(page), "action": "next", **extra}
    data.update({f"q.{name}": value for name, value in answers.items()})
    return client.post(url, data)


def test_the_first_page_pipes_the_store_name_and_offers_nps_buttons(browser, qr_distribution):
    page = browser.get(f"{LINK}?d=nanjing-qr&lang=en")
    html = page.content.decode()
    assert page.status_code == 200
    assert shown_page(page) == "p1"
    assert "How likely are you to recommend Nanjing Road?" in html
    assert html.count('type="radio" name="q.nps"') == 11
    assert 'name="website"' in html  # the honeypot
    assert "csrfmiddlewaretoken" in html
    assert "<script" not in html
    assert Response.objects.count() == 0  # a link preview leaves nothing behind


def test_the_page_speaks_the_language_asked_for(browser, survey):
    chinese = browser.get(f"{LINK}?lang=zh-hans").content.decode()
    english = browser.get(f"{LINK}?lang=en").content.decode()
    assert "您这次来店的目的" in chinese
    assert "Why did you visit?" in english
    assert 'href="?lang=en"' in chinese


def test_a_detractor_answers_every_page_and_completes(browser, qr_distribution):
    url = f"{LINK}?d=nanjing-qr&lang=en"
    page = browser.get(url)
    page = send(browser, url, page, {"nps": "3", "visit": "return"})
    assert shown_page(page) == "p2"
    assert "What went wrong with A return?" in page.content.decode()  # piped choice text
    assert 'name="q.refund_ok"' in page.content.decode()  # shown after a return
    page = send(browser, url, page, {"problem": "Refund took a week", "refund_ok": "false"})
    assert shown_page(page) == "p3"
    page = send(browser, url, page, {"channels": ["app", "web"], "comment": ""})
    assert page.status_code == 200
    assert "Thank you for your feedback!" in page.content.decode()
    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETED
    assert response.answers == {
        "nps": 3,
        "visit": "return",
        "problem": "Refund took a week",
        "refund_ok": False,
        "channels": ["app", "web"],
    }
    assert (response.channel.code, response.touchpoint.code, response.store.code) == (
        "store",
        "store_checkout",
        "sh-nanjing",
    )
    assert (response.language, response.device_type) == ("en", "mobile")
    assert response.page_history == ["p1", "p2", "p3"]
    assert ResponseValue.objects.filter(response=response).count() == 6
    assert DomainEvent.objects.filter(name="response.completed").count() == 1


def test_a_promoter_skips_to_the_last_page(browser, survey):
    page = browser.get(LINK)
    page = send(browser, LINK, page, {"nps": "10", "visit": "buy"})
    assert shown_page(page) == "p3"


def test_a_required_question_left_empty_is_named_next_to_it_and_nothing_is_saved(browser, survey):
    page = browser.get(f"{LINK}?lang=en")
    page = send(browser, f"{LINK}?lang=en", page, {"visit": "buy"})
    html = page.content.decode()
    assert shown_page(page) == "p1"
    error_next_to_question = (
        r'id="q-nps" aria-invalid="true">.*?class="sv-error" id="e-nps">is required'
    )
    assert re.search(error_next_to_question, html, re.S)
    assert 'value="buy" checked' in html  # the answer given is kept in the form
    assert Response.objects.count() == 0  # a response starts with a good first page


def test_a_choice_not_offered_is_refused(browser, survey):
    page = browser.get(f"{LINK}?lang=en")
    page = send(browser, f"{LINK}?lang=en", page, {"nps": "7", "visit": "teleport"})
    assert shown_page(page) == "p1"
    assert "is not one of the choices offered" in page.content.decode()
    assert Response.objects.count() == 0


def test_a_number_out_of_the_scale_is_refused(browser, survey):
    page = browser.get(f"{LINK}?lang=en")
    page = send(browser, f"{LINK}?lang=en", page, {"nps": "11", "visit": "buy"})
    assert "must be from 0 to 10" in page.content.decode()
    assert Response.objects.count() == 0


def test_an_answer_to_a_hidden_question_is_discarded(browser, survey):
    page = browser.get(LINK)
    page = send(browser, LINK, page, {"nps": "3", "visit": "buy"})
    assert 'name="q.refund_ok"' not in page.content.decode()
    send(browser, LINK, page, {"problem": "Queue", "refund_ok": "true"})
    assert Response.objects.get().answers == {"nps": 3, "visit": "buy", "problem": "Queue"}


def test_a_closed_tab_resumes_on_the_page_reached(browser, survey):
    page = browser.get(LINK)
    send(browser, LINK, page, {"nps": "3", "visit": "buy"})
    cookie = browser.cookies[f"ks_survey_{survey.pk}"]
    assert cookie["httponly"]
    later = Client(HTTP_USER_AGENT=PHONE)
    later.cookies[cookie.key] = cookie.value
    page = later.get(LINK)
    assert shown_page(page) == "p2"
    assert Response.objects.count() == 1


def test_without_resume_a_new_visit_starts_afresh(browser, make_survey):
    make_survey(allow_resume=False)
    page = browser.get(LINK)
    send(browser, LINK, page, {"nps": "3", "visit": "buy"})
    assert shown_page(browser.get(LINK)) == "p1"


def test_back_shows_the_previous_page_with_its_answers(browser, survey):
    page = browser.get(LINK)
    page = send(browser, LINK, page, {"nps": "3", "visit": "buy"})
    page = browser.post(LINK, {"key": form_key(page), "page": "p2", "action": "back"})
    html = page.content.decode()
    assert shown_page(page) == "p1"
    assert 'value="3" checked' in html
    assert 'value="buy" checked' in html
    assert 'value="back"' not in html  # no back button on the first page
    # Changing the answer takes the other path.
    page = send(browser, LINK, page, {"nps": "9", "visit": "buy"})
    assert shown_page(page) == "p3"
    assert Response.objects.get().page_history == ["p1"]


def test_randomised_choices_keep_their_order_for_one_response(browser, survey):
    page = browser.get(LINK)
    page = send(browser, LINK, page, {"nps": "9", "visit": "buy"})
    order = re.findall(r'name="q.channels" value="(\w+)"', page.content.decode())
    again = re.findall(r'name="q.channels" value="(\w+)"', browser.get(LINK).content.decode())
    assert sorted(order) == ["app", "phone", "web", "wechat"]
    assert again == order


def test_a_filled_honeypot_is_thanked_and_nothing_is_stored(browser, survey):
    page = browser.get(LINK)
    page = send(browser, LINK, page, {"nps": "9", "visit": "buy"}, website="http://spam.example")
    assert page.status_code == 200
    assert "感谢您的反馈" in page.content.decode() or "Thank you" in page.content.decode()
    assert Response.objects.count() == 0


def test_posts_beyond_the_rate_limit_get_429(browser, survey, settings):
    settings.KESHENG_PUBLIC_POSTS_PER_MINUTE = 3
    page = browser.get(LINK)
    for _attempt in range(3):
        assert send(browser, LINK, page, {"visit": "buy"}).status_code == 200
    refused = send(browser, LINK, page, {"nps": "9", "visit": "buy"})
    assert refused.status_code == 429
    assert Response.objects.count() == 0
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    assert send(other_address, LINK, other_address.get(LINK), {"visit": "buy"}).status_code == 200


def test_csrf_protection_stays_on(survey):
    client = Client(enforce_csrf_checks=True)
    page = client.get(LINK)
    token = client.cookies["csrftoken"].value
    data = {"key": form_key(page), "page": "p1", "q.nps": "9", "q.visit": "buy"}
    assert client.post(LINK, data).status_code == 403
    assert Response.objects.count() == 0
    page = client.post(LINK, {**data, "csrfmiddlewaretoken": token})
    assert shown_page(page) == "p3"


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({"status": SurveyStatus.CLOSED}, 410),
        ({"closes_at": timezone.now() - timedelta(hours=1)}, 410),
        ({"status": SurveyStatus.DRAFT}, 404),
    ],
)
def test_a_survey_not_open_is_not_answered(browser, make_survey, options, status):
    make_survey(**options)
    assert browser.get(LINK).status_code == status
    assert browser.post(LINK, {"page": "p1", "q.nps": "9", "q.visit": "buy"}).status_code == status
    assert Response.objects.count() == 0


def test_an_unknown_link_is_404(browser, survey):
    assert browser.get("/s/no-such-survey/").status_code == 404
    assert browser.get("/r/" + "x" * 43 + "/").status_code == 404


def test_a_full_survey_says_so(browser, make_survey):
    make_survey(response_cap=1)
    page = browser.get(LINK)
    page = send(browser, LINK, page, {"nps": "9", "visit": "buy"})
    send(browser, LINK, page, {})
    newcomer = Client(HTTP_ACCEPT_LANGUAGE="en")
    refused = newcomer.get(LINK)
    assert refused.status_code == 410
    assert "This survey is full" in refused.content.decode()


def test_one_response_per_browser(browser, make_survey):
    make_survey(one_response_per_browser=True)
    page = browser.get(LINK)
    page = send(browser, LINK, page, {"nps": "9", "visit": "buy"})
    send(browser, LINK, page, {})
    again = browser.get(LINK)
    assert again.status_code == 403
    assert "You have already answered" in again.content.decode()
    assert Response.objects.count() == 1


def test_a_personal_link_links_the_customer_and_is_single_use(
    browser, survey, customer, make_invitation
):
    invitation = make_invitation(survey, customer)
    url = f"/r/{invitation.token}/"
    page = browser.get(url)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED
    page = send(browser, url, page, {"nps": "10", "visit": "buy"})
    # Another device with the same link resumes the same response.
    assert shown_page(Client().get(url)) == "p3"
    send(browser, url, page, {})
    response = Response.objects.get()
    assert response.customer == customer
    assert response.invitation == invitation
    used = browser.get(url)
    assert used.status_code == 410
    assert "You have already answered" in used.content.decode()
    assert Invitation.objects.get().status == InvitationStatus.COMPLETED


def test_a_personal_link_speaks_the_invitation_language(survey, customer, make_invitation):
    invitation = make_invitation(survey, customer, language="en")
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get(f"/r/{invitation.token}/")
    assert "Why did you visit?" in page.content.decode()


def test_an_expired_personal_link_is_410(browser, survey, customer, make_invitation):
    invitation = make_invitation(survey, customer, expires_in=timedelta(seconds=-1))
    page = browser.get(f"/r/{invitation.token}/")
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert Response.objects.count() == 0


@pytest.mark.parametrize("status", ["skipped_fatigue", "skipped_consent"])
def test_a_link_held_back_by_the_rules_opens_nothing(
    browser, survey, customer, make_invitation, status
):
    invitation = make_invitation(survey, customer)
    Invitation.objects.filter(pk=invitation.pk).update(status=status)
    page = browser.get(f"/r/{invitation.token}/")
    assert page.status_code == 404
    assert Response.objects.count() == 0


def test_an_anonymous_survey_stores_no_customer_even_through_a_personal_link(
    browser, make_survey, customer, make_invitation
):
    survey = make_survey(is_anonymous=True)
    url = f"/r/{make_invitation(survey, customer).token}/"
    page = send(browser, url, browser.get(url), {"nps": "10", "visit": "buy"})
    send(browser, url, page, {})
    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETED
    assert response.customer_id is None


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_page_views_and_posts_take_a_fixed_number_of_queries(browser, qr_distribution):
    url = f"{LINK}?d=nanjing-qr"
    first_view = count_queries(lambda: browser.get(url))
    page = browser.get(url)
    first_post = count_queries(lambda: send(browser, url, page, {"nps": "3", "visit": "buy"}))
    page = browser.get(url)
    resumed_view = count_queries(lambda: browser.get(url))
    next_post = count_queries(lambda: send(browser, url, page, {"problem": "Queue"}))
    page = browser.get(url)
    last_post = count_queries(lambda: send(browser, url, page, {"comment": "ok"}))
    # view: survey, distribution (+ the response when resuming with the cookie); first post:
    # the form's key (no response yet), survey, distribution, insert (in a savepoint); next:
    # response with survey and version in one query, distribution, update; last: the same
    # two reads, then the completing update, the values in one insert and the event, in a
    # savepoint.
    assert (first_view, first_post, resumed_view, next_post, last_post) == (2, 6, 3, 3, 7)
    assert ResponseValue.objects.count() == 4


EVERY_WIDGET = {
    "format": "kesheng-survey/1",
    "languages": ["en"],
    "default_language": "en",
    "title": {"en": "Widgets"},
    "pages": [
        {
            "name": "only",
            "questions": [
                {
                    "name": "reason",
                    "type": "dropdown",
                    "title": {"en": "Reason"},
                    "has_other": True,
                    "choices": [
                        {"value": "price", "text": {"en": "Price"}},
                        {"value": "range", "text": {"en": "Range"}},
                    ],
                },
                {
                    "name": "seen",
                    "type": "multiple_choice",
                    "title": {"en": "Seen"},
                    "has_other": True,
                    "choices": [
                        {"value": "ad", "text": {"en": "An ad"}},
                        {"value": "shop", "text": {"en": "A shop"}},
                    ],
                },
                {
                    "name": "grid",
                    "type": "matrix",
                    "title": {"en": "Grid"},
                    "rows": [
                        {"value": "speed", "text": {"en": "Speed"}},
                        {"value": "care", "text": {"en": "Care"}},
                    ],
                    "scale": {"points": 5},
                },
                {
                    "name": "order",
                    "type": "ranking",
                    "title": {"en": "Order"},
                    "choices": [
                        {"value": "a", "text": {"en": "A"}},
                        {"value": "b", "text": {"en": "B"}},
                    ],
                },
                {
                    "name": "agree",
                    "type": "likert",
                    "title": {"en": "Agree"},
                    "scale": {"points": 7},
                },
                {"name": "age", "type": "numeric", "title": {"en": "Age"}},
                {"name": "day", "type": "date", "title": {"en": "Day"}},
                {"name": "mail", "type": "email", "title": {"en": "Mail"}},
            ],
        }
    ],
}


def test_every_widget_reads_back_into_its_answer_shape(browser, make_survey):
    make_survey(EVERY_WIDGET)
    page = browser.get(LINK)
    html = page.content.decode()
    assert '<option value="__other__">' in html
    assert 'name="q.grid.speed"' in html
    assert 'name="q.order.b"' in html
    assert "Strongly agree" in html
    assert 'type="date"' in html
    answers = {
        "reason": "__other__",
        "reason.other": "A friend",
        "seen": ["ad", "__other__"],
        "seen.other": "TV",
        "grid.speed": "4",
        "grid.care": "5",
        "order.a": "2",
        "order.b": "1",
        "agree": "6",
        "age": "1,234",
        "day": "2025-03-01",
        "mail": "wang@example.com",
    }
    page = send(browser, LINK, page, answers)
    assert page.status_code == 200
    assert Response.objects.get().answers == {
        "reason": {"other": "A friend"},
        "seen": ["ad", {"other": "TV"}],
        "grid": {"speed": 4, "care": 5},
        "order": ["b", "a"],
        "agree": 6,
        "age": 1234,
        "day": "2025-03-01",
        "mail": "wang@example.com",
    }


def test_a_value_that_cannot_be_read_is_named_and_kept_in_the_form(browser, make_survey):
    make_survey(EVERY_WIDGET)
    page = send(browser, f"{LINK}?lang=en", browser.get(LINK), {"age": "forty"})
    html = page.content.decode()
    assert 'id="e-age">must be a number' in html
    assert Response.objects.count() == 0


def test_a_key_with_a_nul_character_starts_a_response_of_its_own(browser, survey):
    page = browser.get(LINK)
    data = {"key": "\x00" + form_key(page), "page": "p1", "action": "next"}
    page = browser.post(LINK, {**data, "q.nps": "6", "q.visit": "buy"})
    assert page.status_code == 200
    assert shown_page(page) == "p2"
    assert Response.objects.count() == 1
    assert "\x00" not in Response.objects.get().resume_key


def test_a_second_visitor_sees_nothing_the_first_one_chose(browser, survey):
    first = browser.get(f"{LINK}?lang=en")
    first = send(browser, f"{LINK}?lang=en", first, {"visit": "buy"})
    assert 'value="buy" checked' in first.content.decode()
    second = Client(HTTP_USER_AGENT=PHONE).get(f"{LINK}?lang=en").content.decode()
    assert 'value="buy" checked' not in second
    assert 'class="sv-error"' not in second
