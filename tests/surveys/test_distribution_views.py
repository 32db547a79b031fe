"""The staff pages that import a survey file and distribute a survey: links, QR codes (the
printable sheet and the downloads), email invitations to a filter (received by a real SMTP
server), the widget, statistics, and who may do what."""

import re
import struct
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kesheng.commerce.actions import save_staff_member, save_store
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Distribution, Invitation, Survey
from kesheng.surveys.tasks import BACKGROUND_THREAD_PREFIX
from tests.messaging.smtp import running_smtp_server, text_part
from tests.staff_fixtures import create_staff_user

FIXTURES = Path(__file__).parent / "fixtures"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

DEFINITION = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "default_language": "zh-hans",
    "title": {"zh-hans": "购物满意度调查", "en": "Shopping satisfaction survey"},
    "pages": [
        {
            "name": "p1",
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


def client_for(client, role):
    client.force_login(create_staff_user(f"{role}.user", role=role))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.KESHENG_PUBLIC_URL = "http://testserver"


@pytest.fixture
def manager(client, db):
    return client_for(client, "cx_manager")


@pytest.fixture
def survey(db):
    return create_survey(title="Shopping", definition=DEFINITION, slug="shopping", status="open")


@pytest.fixture
def stores(db):
    return [
        save_store(code="sh-001", name_zh="南京路店", name_en="Nanjing Road"),
        save_store(code="sh-002", name_zh="淮海路店", name_en="Huaihai Road"),
        save_store(code="bj-001", name_zh="王府井店", name_en="Wangfujing"),
    ]


@pytest.fixture
def shanghai_customers(make_customer):
    """Three customers in 上海 (two said yes to surveys by email, one did not) and one in 北京."""
    consent = {"email:surveys": True}
    return [
        make_customer(
            "C1",
            name="Wang Fang",
            email="c1@example.com",
            city="上海",
            consents=consent,
            attributes={"language": "en"},
        ),
        make_customer("C2", name="李雷", email="c2@example.com", city="上海", consents=consent),
        make_customer(
            "C3",
            name="韩梅梅",
            email="c3@example.com",
            city="上海",
            consents={"email:surveys": False},
        ),
        make_customer("C4", name="张伟", email="c4@example.com", city="北京", consents=consent),
    ]


def url(name, *args):
    return reverse(f"surveys:{name}", args=args)


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


# --- import ------------------------------------------------------------------------------------


def test_importing_a_surveyjs_file_creates_a_draft_and_lists_what_was_not_carried_over(manager):
    path = FIXTURES / "python_surveyjs_test_survey_schema.json"
    response = manager.post(url("import"), {"file": upload(path)})

    assert response.status_code == 200
    survey = Survey.objects.get()
    assert survey.status == "draft"
    assert response.context["survey"] == survey
    unmapped = response.context["unmapped"]
    assert len(unmapped) == 14
    assert unmapped[1] == {
        "name": "appointmentTime",
        "reason": "input type 'datetime-local' is imported as a short text",
    }
    page = response.content.decode()
    assert reverse("surveys:editor", args=[survey.pk]) in page
    assert '<td class="mono">appointmentTime</td>' in page
    assert "input type &#x27;datetime-local&#x27; is imported as a short text" in page


def test_importing_a_limesurvey_file_keeps_its_question_codes(manager):
    response = manager.post(
        url("import"), {"file": upload(FIXTURES / "kesheng_ls3_store_zh_hans.lss")}
    )
    assert response.status_code == 200
    survey = Survey.objects.get()
    names = [
        question["name"]
        for page in survey.current_version.definition["pages"]
        for question in page["questions"]
    ]
    assert names and all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) for name in names)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"pages": [', "not valid JSON"),
        (b"hello, world", "unknown format"),
        (b'{"title": "Empty", "pages": []}', "The file cannot be imported:"),
    ],
)
def test_a_bad_file_shows_its_reason_and_saves_nothing(manager, content, reason):
    response = manager.post(url("import"), {"file": SimpleUploadedFile("bad.json", content)})
    assert response.status_code == 400
    assert reason in " ".join(response.context["form"].errors["file"])
    assert Survey.objects.count() == 0


def test_an_untitled_survey_is_named_after_its_file(manager):
    content = b'{"pages": [{"elements": [{"type": "rating", "name": "score"}]}]}'
    response = manager.post(url("import"), {"file": SimpleUploadedFile("门店调查.json", content)})
    assert response.status_code == 200
    assert response.context["survey"].title == "门店调查"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(manager, monkeypatch):
    from kesheng.surveys import forms

    monkeypatch.setattr(forms, "MAX_IMPORT_BYTES", 1024)
    big = SimpleUploadedFile("big.json", b"{" + b" " * 2000 + b"}")
    response = manager.post(url("import"), {"file": big})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The file is larger than 0 MB; a survey file is far smaller."
    ]
    assert Survey.objects.count() == 0


def test_importing_needs_the_right_to_add_surveys(client, db):
    analyst = client_for(client, "analyst")
    path = FIXTURES / "python_surveyjs_test_survey_schema.json"
    assert analyst.get(url("import")).status_code == 403
    assert analyst.post(url("import"), {"file": upload(path)}).status_code == 403
    assert Survey.objects.count() == 0


# --- links, widget, QR codes -------------------------------------------------------------------


def test_creating_an_anonymous_link_shows_its_url_to_copy(manager, survey):
    response = manager.post(
        url("distribution_add", survey.pk), {"kind": "link", "name": "WeChat article"}
    )
    distribution = Distribution.objects.get()
    assert (distribution.kind, distribution.name) == ("link", "WeChat article")
    assert response.status_code == 302
    assert response.url == url("distribution", survey.pk, distribution.pk)

    page = manager.get(response.url).content.decode()
    assert f'value="http://testserver/s/shopping/?d={distribution.key}"' in page
    assert "Copy" in page


def test_a_widget_distribution_shows_its_snippet(manager, survey):
    manager.post(url("distribution_add", survey.pk), {"kind": "widget", "name": ""})
    distribution = Distribution.objects.get()
    assert (distribution.kind, distribution.name) == ("widget", "website widget")
    response = manager.get(url("distribution", survey.pk, distribution.pk))
    assert "data-kesheng-survey=" in response.context["snippet"]
    assert "&lt;script src=&quot;http://testserver/static/kesheng/widget.js&quot;" in (
        response.content.decode()
    )


def test_an_unknown_kind_is_refused_and_nothing_is_created(manager, survey):
    response = manager.post(url("distribution_add", survey.pk), {"kind": "email"})
    assert response.status_code == 400
    assert Distribution.objects.count() == 0


def test_qr_codes_one_per_chosen_store_on_a_printable_sheet(manager, survey, stores):
    chosen = [stores[0].pk, stores[2].pk]
    response = manager.post(url("qr_add", survey.pk), {"stores": chosen})

    distributions = list(Distribution.objects.order_by("store__code"))
    assert [(d.kind, d.store_id) for d in distributions] == [
        ("qr", stores[2].pk),
        ("qr", stores[0].pk),
    ]
    assert response.status_code == 302
    sheet = manager.get(response.url)
    assert sheet.status_code == 200
    page = sheet.content.decode()
    images = re.findall(r'<img class="qr-image" src="([^"]+)"', page)
    assert images == [
        url("distribution_qr", survey.pk, d.pk, "svg") + "?inline=1" for d in distributions
    ]
    assert page.count("Shopping satisfaction survey") >= 2
    assert "Wangfujing" in page and "Nanjing Road" in page and "Huaihai Road" not in page
    assert (
        "@media print"
        in (Path(__file__).parents[2] / "kesheng/surveys/static/surveys/staff.css").read_text()
    )

    inline = manager.get(images[0])
    assert inline["Content-Type"] == "image/svg+xml"
    assert "Content-Disposition" not in inline


def test_qr_downloads_are_a_valid_png_and_svg(manager, survey, stores):
    manager.post(url("qr_add", survey.pk), {"stores": [stores[0].pk]})
    distribution = Distribution.objects.get()

    png = manager.get(url("distribution_qr", survey.pk, distribution.pk, "png"))
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"] == (f'attachment; filename="shopping-{distribution.key}.png"')
    assert png.content[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", png.content[16:24])
    assert width == height and width >= 250

    svg = manager.get(url("distribution_qr", survey.pk, distribution.pk, "svg"))
    assert svg["Content-Type"] == "image/svg+xml"
    text = svg.content.decode()
    assert text.lstrip().startswith(("<?xml", "<svg"))
    assert f"<title>http://testserver/s/shopping/?d={distribution.key}</title>" in text


def test_qr_codes_one_per_chosen_staff_member_carry_their_store(manager, survey, stores):
    chen = save_staff_member(code="SH-001-01", name="陈静", store=stores[0])
    liu = save_staff_member(code="HQ-01", name="刘洋")
    save_staff_member(code="SH-001-02", name="离职", store=stores[0], is_active=False)
    page = manager.get(url("distributions", survey.pk)).content.decode()
    assert "陈静 (SH-001-01)" in page and "离职" not in page

    response = manager.post(url("qr_add", survey.pk), {"staff": [chen.pk, liu.pk]})

    assert response.status_code == 302
    distributions = list(Distribution.objects.order_by("staff__code"))
    assert [(d.kind, d.store_id, d.staff_id, d.name) for d in distributions] == [
        ("qr", None, liu.pk, "QR code · 刘洋"),
        ("qr", stores[0].pk, chen.pk, "QR code · Nanjing Road · 陈静"),
    ]
    sheet = manager.get(response.url).content.decode()
    places = re.findall(r'<span class="qr-place">([^<]+)</span>', sheet)
    assert sorted(places) == ["Nanjing Road · 陈静", "刘洋"]


def test_qr_codes_refuse_an_unknown_staff_member_and_make_nothing(manager, survey, stores):
    response = manager.post(url("qr_add", survey.pk), {"staff": ["999999"]})
    assert response.status_code == 400
    assert response.context["qr_form"].errors["staff"] == [
        "Select a valid choice. 999999 is not one of the available choices."
    ]
    assert Distribution.objects.count() == 0


def test_qr_codes_need_a_store_or_a_touchpoint(manager, survey, stores):
    response = manager.post(url("qr_add", survey.pk), {})
    assert response.status_code == 400
    assert response.context["qr_form"].non_field_errors() == [
        "Choose at least one store, staff member or a touchpoint."
    ]
    assert Distribution.objects.count() == 0


# --- email invitations -------------------------------------------------------------------------


def test_counting_a_filter_shows_matches_and_consent_and_changes_nothing(
    manager, survey, shanghai_customers
):
    response = manager.post(
        url("invite", survey.pk),
        {"count": "1", "kind": "email", "city": "上海", "tag": ""},
    )
    assert response.status_code == 200
    audience = response.context["audience"]
    assert (audience.matching, audience.with_consent) == (3, 2)
    assert "3 customers match; 2 of them have consent for this channel." in (
        response.content.decode()
    )
    assert Distribution.objects.count() == 0


def test_email_invitations_to_a_city_reach_a_real_smtp_server_personalised(
    manager, survey, shanghai_customers, settings, django_capture_on_commit_callbacks
):
    with (
        running_smtp_server(settings) as smtp,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = manager.post(
            url("invite", survey.pk),
            {
                "send": "1",
                "kind": "email",
                "name": "Shanghai, March",
                "city": "上海",
                "tag": "",
                "expires_days": "14",
                "reminder_after_days": "5",
                "max_reminders": "2",
            },
        )

    distribution = Distribution.objects.get()
    assert response.status_code == 302
    assert response.url == url("distribution", survey.pk, distribution.pk)
    assert (distribution.kind, distribution.name) == ("email", "Shanghai, March")
    assert distribution.options == {
        "expires_days": 14,
        "max_reminders": 2,
        "reminder_after_days": 5,
    }
    statuses = dict(Invitation.objects.values_list("customer__customer_id", "status"))
    assert statuses == {"C1": "delivered", "C2": "delivered", "C3": "skipped_consent"}
    assert sorted(message["To"] for message in smtp.messages) == [
        "c1@example.com",
        "c2@example.com",
    ]
    english = next(m for m in smtp.messages if m["To"] == "c1@example.com")
    assert english["Subject"] == "Shopping satisfaction survey"
    token = Invitation.objects.get(customer__customer_id="C1").token
    body = text_part(english)
    assert body.startswith("Dear Wang Fang,\n")
    assert f"http://testserver/r/{token}/" in body

    detail = manager.get(response.url)
    stats = detail.context["stats"]
    assert (stats.invited, stats.sent, stats.delivered, stats.skipped_consent) == (3, 2, 2, 1)
    assert (stats.opened, stats.started, stats.completed, stats.response_rate) == (0, 0, 0, 0.0)
    page = detail.content.decode()
    assert 'data-stat="response_rate">0%' in page
    assert "Reminders to non-respondents after 5 days, at most 2." in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_a_broker_the_send_runs_in_a_background_thread_after_the_request(
    manager, survey, shanghai_customers, settings, monkeypatch
):
    from kesheng.surveys import tasks

    # The thread waits for the gate, so the test sees the request finish before any sending.
    gate, send = threading.Event(), tasks._send_in_background
    monkeypatch.setattr(tasks, "_send_in_background", lambda pk: (gate.wait(timeout=30), send(pk)))
    with running_smtp_server(settings) as smtp:
        response = manager.post(
            url("invite", survey.pk),
            {
                "send": "1",
                "kind": "email",
                "city": "上海",
                "expires_days": "30",
                "reminder_after_days": "3",
                "max_reminders": "0",
            },
        )
        assert response.status_code == 302
        distribution = Distribution.objects.get()
        senders = [
            thread
            for thread in threading.enumerate()
            if thread.name == f"{BACKGROUND_THREAD_PREFIX}{distribution.pk}"
        ]
        assert len(senders) == 1
        assert smtp.messages == []
        assert set(Invitation.objects.values_list("status", flat=True)) == {
            "pending",
            "skipped_consent",
        }
        gate.set()
        senders[0].join(timeout=60)
        assert not senders[0].is_alive()

    assert sorted(message["To"] for message in smtp.messages) == [
        "c1@example.com",
        "c2@example.com",
    ]
    statuses = dict(Invitation.objects.values_list("customer__customer_id", "status"))
    assert statuses == {"C1": "delivered", "C2": "delivered", "C3": "skipped_consent"}


def test_invitations_to_a_draft_survey_are_refused_and_nothing_is_written(
    manager, survey, shanghai_customers
):
    Survey.objects.filter(pk=survey.pk).update(status="draft")
    response = manager.post(
        url("invite", survey.pk),
        {
            "send": "1",
            "kind": "email",
            "city": "上海",
            "expires_days": "30",
            "reminder_after_days": "3",
            "max_reminders": "0",
        },
    )
    assert response.status_code == 400
    assert response.context["invitation_form"].non_field_errors() == [
        "Open the survey (in the editor) before sending invitations."
    ]
    assert (Distribution.objects.count(), Invitation.objects.count()) == (0, 0)


def test_invitations_need_a_filter_and_valid_options(manager, survey, shanghai_customers):
    response = manager.post(
        url("invite", survey.pk),
        {
            "send": "1",
            "kind": "email",
            "city": "",
            "tag": "",
            "expires_days": "999",
            "reminder_after_days": "3",
            "max_reminders": "0",
        },
    )
    assert response.status_code == 400
    form = response.context["invitation_form"]
    assert form.non_field_errors() == ["Choose a segment, or give a city, a tag or both."]
    assert form.errors["expires_days"] == ["Ensure this value is less than or equal to 365."]
    assert (Distribution.objects.count(), Invitation.objects.count()) == (0, 0)


# --- who may do what ---------------------------------------------------------------------------


def test_a_store_manager_cannot_see_or_make_distributions(client, survey, stores):
    store_manager = client_for(client, "store_manager")
    assert store_manager.get(url("distributions", survey.pk)).status_code == 403
    assert store_manager.get(url("qr_print", survey.pk)).status_code == 403
    for name, data in [
        ("distribution_add", {"kind": "link"}),
        ("qr_add", {"stores": [stores[0].pk]}),
        ("invite", {"send": "1", "kind": "email", "city": "上海"}),
    ]:
        assert store_manager.post(url(name, survey.pk), data).status_code == 403
    assert Distribution.objects.count() == 0


def test_an_analyst_sees_distributions_but_cannot_make_them(client, survey, stores):
    from kesheng.surveys.actions.distribution import create_distribution

    existing = create_distribution(survey=survey, kind="qr", store=stores[0])
    analyst = client_for(client, "analyst")
    page = analyst.get(url("distributions", survey.pk))
    assert page.status_code == 200
    assert page.context["can_distribute"] is False
    assert f'action="{url("qr_add", survey.pk)}"' not in page.content.decode()
    assert analyst.get(url("distribution", survey.pk, existing.pk)).status_code == 200
    assert analyst.get(url("distribution_qr", survey.pk, existing.pk, "png")).status_code == 200
    assert analyst.post(url("distribution_add", survey.pk), {"kind": "link"}).status_code == 403
    assert analyst.post(url("distribution_send", survey.pk, existing.pk)).status_code == 403
    assert Distribution.objects.count() == 1


def test_a_distribution_of_another_survey_is_not_found(manager, survey, stores):
    from kesheng.surveys.actions.distribution import create_distribution

    other = create_survey(title="Other", definition=DEFINITION, slug="other", status="open")
    foreign = create_distribution(survey=other, kind="link")
    assert manager.get(url("distribution", survey.pk, foreign.pk)).status_code == 404
    assert manager.get(url("distribution_qr", survey.pk, foreign.pk, "png")).status_code == 404


def test_the_print_sheet_ignores_ids_that_are_not_its_codes(manager, survey, stores):
    manager.post(url("qr_add", survey.pk), {"stores": [stores[0].pk]})
    response = manager.get(url("qr_print", survey.pk) + "?ids=abc,99999999999999999999999,-1")
    assert response.status_code == 200
    assert response.context["codes"] == []
    everything = manager.get(url("qr_print", survey.pk))
    assert len(everything.context["codes"]) == 1


def test_the_distributions_page_reads_a_fixed_number_of_queries(manager, survey, stores):
    from kesheng.surveys.actions.distribution import create_distribution

    create_distribution(survey=survey, kind="link")
    manager.get(url("distributions", survey.pk))  # sessions and permissions cached

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert manager.get(url("distributions", survey.pk)).status_code == 200
        return len(queries)

    few = count_queries()
    for store in stores:
        create_distribution(survey=survey, kind="qr", store=store)
        create_distribution(survey=survey, kind="email")
    assert count_queries() == few
