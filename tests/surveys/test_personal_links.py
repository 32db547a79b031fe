"""Personal links to hand out: the staff form that makes a personal-links distribution for a
segment, a city/tag filter or a list of customer ids (pasted or a CSV file), the fatigue rule,
the CSV and XLSX downloads read back, the figures on the distribution's page, and who may."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from kesheng.customers.actions import create_segment
from kesheng.surveys.actions.distribution import (
    create_distribution,
    create_invitations,
    create_personal_links,
)
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Distribution, DistributionKind, Invitation
from tests.staff_fixtures import create_staff_user, create_user_with_permissions

COLUMNS = ["customer_id", "name", "language", "link", "expires_at", "status"]

DEFINITION = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "default_language": "zh-hans",
    "title": {"zh-hans": "购物满意度调查", "en": "Shopping satisfaction survey"},
    "pages": [
        {
            "name": "p1",
            "questions": [
                {"name": "nps", "type": "nps", "title": {"zh-hans": "推荐？", "en": "Recommend?"}}
            ],
        }
    ],
}


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.KESHENG_PUBLIC_URL = "https://survey.example.com"


def signed_in(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def manager(client, db):
    return signed_in(client, create_staff_user("cx.user", role="cx_manager"))


@pytest.fixture
def survey(db):
    return create_survey(title="Shopping", definition=DEFINITION, slug="shopping", status="open")


@pytest.fixture
def customers(make_customer):
    """Three customers in 上海 (C1 VIP and English-speaking, C2 VIP, C3) and one in 北京.
    None has consented to anything: personal links need no consent, Kesheng sends nothing."""
    return {
        "C1": make_customer(
            "C1", name="Wang Fang", city="上海", tags=["vip"], attributes={"language": "en"}
        ),
        "C2": make_customer("C2", name="李雷", city="上海", tags=["vip"]),
        "C3": make_customer("C3", name="韩梅梅", city="上海"),
        "C4": make_customer("C4", name="张伟", city="北京"),
    }


@pytest.fixture
def vip(customers):
    return create_segment(
        name="VIP", rules={"all": [{"field": "tag", "op": "has", "value": "vip"}]}
    )


def make_links(client, survey, **fields):
    data = {"expires_days": 30, "name": "WeChat push", **fields}
    return client.post(f"/surveys/{survey.pk}/distributions/personal/", data)


def the_distribution() -> Distribution:
    return Distribution.objects.get(kind=DistributionKind.PERSONAL)


def linked_customers(distribution) -> list[str]:
    return sorted(
        Invitation.objects.filter(distribution=distribution).values_list(
            "customer__customer_id", flat=True
        )
    )


def download(client, survey, distribution, format):
    return client.get(f"/surveys/{survey.pk}/distributions/{distribution.pk}/links.{format}")


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def xlsx_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def nothing_made() -> bool:
    return not Distribution.objects.exists() and not Invitation.objects.exists()


# --- making the links ----------------------------------------------------------------------


def test_links_for_a_segment_are_made_for_exactly_its_members(manager, survey, vip):
    answer = make_links(manager, survey, segment=vip.pk)
    distribution = the_distribution()
    assert answer.status_code == 302
    assert answer["Location"] == f"/surveys/{survey.pk}/distributions/{distribution.pk}/"
    assert distribution.name == "WeChat push"
    assert distribution.options == {"expires_days": 30}
    assert linked_customers(distribution) == ["C1", "C2"]
    # Handed out from now: "sent", so the response rate and the fatigue rule count them.
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}
    invitation = Invitation.objects.first()
    assert invitation.expires_at - invitation.sent_at == timedelta(days=30)


def test_links_for_a_city_and_tag_filter(manager, survey, customers):
    assert make_links(manager, survey, city="上海", tag="vip").status_code == 302
    assert linked_customers(the_distribution()) == ["C1", "C2"]


def test_the_language_of_each_link_comes_from_the_customer_profile(manager, survey, customers):
    make_links(manager, survey, city="上海")
    languages = dict(Invitation.objects.values_list("customer__customer_id", "language"))
    assert languages == {"C1": "en", "C2": "zh-hans", "C3": "zh-hans"}


def test_a_pasted_list_makes_one_link_per_customer(manager, survey, customers):
    answer = make_links(manager, survey, customer_ids="C4\n\nC2, C3\nC4\n")
    assert answer.status_code == 302
    assert linked_customers(the_distribution()) == ["C2", "C3", "C4"]


def test_a_list_with_an_unknown_id_is_refused_naming_its_line_and_nothing_is_made(
    manager, survey, customers
):
    answer = make_links(manager, survey, customer_ids="C1\n\nNOBODY\nC2\nGHOST")
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "Line 3: no customer has the id “NOBODY”." in text
    assert "Line 5: no customer has the id “GHOST”." in text
    assert nothing_made()


def test_unknown_ids_are_left_out_when_asked(manager, survey, customers):
    answer = make_links(manager, survey, customer_ids="C1\nNOBODY", skip_unknown="on")
    assert answer.status_code == 302
    assert linked_customers(the_distribution()) == ["C1"]
    page = manager.get(answer["Location"]).content.decode()
    assert (
        "1 personal links made. Left out: 0 customers surveyed recently (the fatigue rule) "
        "and 1 ids that are not customers."
    ) in page


def test_a_list_of_nobody_known_makes_nothing_even_when_skipping(manager, survey, customers):
    answer = make_links(manager, survey, customer_ids="NOBODY", skip_unknown="on")
    assert answer.status_code == 400
    assert "No customer matches: no links were made." in answer.content.decode()
    assert nothing_made()


def test_an_uploaded_csv_is_read_by_its_customer_id_column(manager, survey, customers):
    # Saved by Excel on a Chinese Windows: GB18030, the id in the second column.
    data = "姓名,customer_id\n李雷,C2\n\n张伟,C4\n".encode("gb18030")
    answer = make_links(
        manager, survey, customer_file=SimpleUploadedFile("list.csv", data, "text/csv")
    )
    assert answer.status_code == 302
    assert linked_customers(the_distribution()) == ["C2", "C4"]


def test_an_uploaded_csv_with_an_unknown_id_is_refused_naming_its_line(manager, survey, customers):
    data = "\ufeffcustomer_id,note\nC1,ok\nC9,typo\n".encode()
    answer = make_links(
        manager, survey, customer_file=SimpleUploadedFile("list.csv", data, "text/csv")
    )
    assert answer.status_code == 400
    assert "Line 3: no customer has the id “C9”." in answer.content.decode()
    assert nothing_made()


def test_an_uploaded_file_with_columns_but_no_customer_id_is_refused(manager, survey, customers):
    data = b"id,name\nC1,Wang Fang\n"
    answer = make_links(
        manager, survey, customer_file=SimpleUploadedFile("list.csv", data, "text/csv")
    )
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "The file has several columns but none is named customer_id." in text
    assert "Choose a segment" not in text
    assert nothing_made()


def test_a_list_and_a_segment_together_are_refused(manager, survey, vip):
    answer = make_links(manager, survey, segment=vip.pk, customer_ids="C1")
    assert answer.status_code == 400
    assert (
        "Give a segment, a city or tag, or a list of customer ids: only one of them."
        in answer.content.decode()
    )
    assert nothing_made()


def test_no_audience_is_refused(manager, survey, customers):
    answer = make_links(manager, survey)
    assert answer.status_code == 400
    assert (
        "Choose a segment, give a city or a tag, or list customer ids." in answer.content.decode()
    )
    assert nothing_made()


def test_a_survey_that_is_not_open_makes_no_links(manager, customers):
    draft = create_survey(title="Draft", definition=DEFINITION, slug="draft")
    answer = make_links(manager, draft, city="上海")
    assert answer.status_code == 400
    assert nothing_made()


# --- fatigue -------------------------------------------------------------------------------


def test_customers_surveyed_recently_are_left_out_counted_and_not_downloaded(
    manager, survey, customers
):
    email = create_distribution(survey=survey, kind="email")
    create_invitations(distribution=email, customer_ids=["C2"])  # waiting to be sent
    Invitation.objects.update(status="sent", sent_at=datetime.now(UTC))
    answer = make_links(manager, survey, city="上海")
    distribution = the_distribution()
    assert answer.status_code == 302
    statuses = dict(
        Invitation.objects.filter(distribution=distribution).values_list(
            "customer__customer_id", "status"
        )
    )
    assert statuses == {"C1": "sent", "C2": "skipped_fatigue", "C3": "sent"}
    page = manager.get(answer["Location"]).content.decode()
    assert "2 personal links made. Left out: 1 customers surveyed recently" in page
    assert "Left out: 1 customers surveyed recently (the fatigue rule); they have no link." in page
    # A skipped row's token works like any other: it must never reach the download.
    assert [row[0] for row in csv_rows(download(manager, survey, distribution, "csv"))] == [
        "customer_id",
        "C1",
        "C3",
    ]


def test_personal_links_count_for_fatigue_from_when_they_are_made(survey, customers):
    made_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    create_personal_links(survey=survey, customer_ids=["C1"], now=made_at)
    email = create_distribution(survey=survey, kind="email")
    inside = create_invitations(
        distribution=email, customer_ids=["C1"], now=made_at + timedelta(days=29)
    )
    assert inside.skipped_fatigue == 1
    later = create_distribution(survey=survey, kind="personal")
    after = create_invitations(
        distribution=later, customer_ids=["C1"], now=made_at + timedelta(days=31)
    )
    assert (after.created, after.skipped_fatigue) == (1, 0)


# --- downloads -----------------------------------------------------------------------------


@pytest.fixture
def made(survey, customers):
    """Links for C1 and C2 made on 1 March 2026 at 10:00 UTC, to expire in 7 days."""
    distribution, _batch = create_personal_links(
        survey=survey,
        customer_ids=["C1", "C2"],
        expires_days=7,
        now=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
    )
    return distribution


@pytest.fixture
def tokens(made):
    return dict(Invitation.objects.values_list("customer__customer_id", "token"))


@pytest.fixture
def before_expiry(settings, monkeypatch):
    """The download and the links are read on 2 March 2026."""
    from django.utils import timezone

    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_the_csv_download_lists_each_link_with_its_customer(
    manager, survey, made, tokens, before_expiry
):
    response = download(manager, survey, made, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="links-shopping-{made.pk}.csv"'
    link = "https://survey.example.com/r/{}/".format
    expires = "2026-03-08 18:00"  # 10:00 UTC + 7 days, in Asia/Shanghai
    assert csv_rows(response) == [
        COLUMNS,
        ["C1", "Wang Fang", "en", link(tokens["C1"]), expires, "sent"],
        ["C2", "李雷", "zh-hans", link(tokens["C2"]), expires, "sent"],
    ]


def test_the_xlsx_download_lists_each_link_with_its_customer(
    manager, survey, made, tokens, before_expiry
):
    response = download(manager, survey, made, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    link = "https://survey.example.com/r/{}/".format
    expires = datetime(2026, 3, 8, 18, 0)  # Asia/Shanghai, as Excel shows it
    assert xlsx_rows(response) == [
        tuple(COLUMNS),
        ("C1", "Wang Fang", "en", link(tokens["C1"]), expires, "sent"),
        ("C2", "李雷", "zh-hans", link(tokens["C2"]), expires, "sent"),
    ]


def test_a_downloaded_link_opens_the_survey_and_its_status_follows(
    manager, client, survey, made, before_expiry
):
    link = csv_rows(download(manager, survey, made, "csv"))[1][3]
    respondent = type(client)()
    assert respondent.get(link.removeprefix("https://survey.example.com")).status_code == 200
    assert [row[5] for row in csv_rows(download(manager, survey, made, "csv"))[1:]] == [
        "opened",
        "sent",
    ]


def test_a_link_past_its_expiry_downloads_as_expired(manager, survey, made):
    assert [row[5] for row in xlsx_rows(download(manager, survey, made, "xlsx"))[1:]] == [
        "expired",
        "expired",
    ]


def test_a_name_that_looks_like_a_formula_stays_text(manager, survey, make_customer):
    make_customer("C7", name='=HYPERLINK("http://evil.example")')
    distribution, _batch = create_personal_links(survey=survey, customer_ids=["C7"])
    assert csv_rows(download(manager, survey, distribution, "csv"))[1][1] == (
        '\'=HYPERLINK("http://evil.example")'
    )
    content = b"".join(download(manager, survey, distribution, "xlsx").streaming_content)
    cell = load_workbook(io.BytesIO(content)).active["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example")', "s")


def test_only_a_personal_links_distribution_downloads_links(manager, survey):
    email = create_distribution(survey=survey, kind="email")
    assert download(manager, survey, email, "csv").status_code == 404
    assert (
        manager.get(f"/surveys/{survey.pk}/distributions/{email.pk}/links.pdf").status_code == 404
    )


def test_the_download_reads_a_fixed_number_of_queries(manager, survey, make_customer):
    def queries_for(count: int) -> int:
        ids = [make_customer(f"Q{count}-{number}").customer_id for number in range(count)]
        distribution, _batch = create_personal_links(survey=survey, customer_ids=ids)
        with CaptureQueriesContext(connection) as queries:
            for format in ("csv", "xlsx"):
                b"".join(download(manager, survey, distribution, format).streaming_content)
        return len(queries)

    assert queries_for(2) == queries_for(40)


# --- the distribution's page -----------------------------------------------------------------


def stat(page: str, name: str) -> str:
    marker = f'data-stat="{name}">'
    return page.split(marker, 1)[1].split("<", 1)[0]


def test_the_page_counts_the_links_made_opened_and_completed(manager, client, survey, made):
    Invitation.objects.filter(customer__customer_id="C1").update(
        opened_at=datetime.now(UTC), completed_at=datetime.now(UTC), status="completed"
    )
    page = manager.get(f"/surveys/{survey.pk}/distributions/{made.pk}/").content.decode()
    assert [stat(page, name) for name in ("sent", "opened", "completed", "response_rate")] == [
        "2",
        "1",
        "1",
        "50%",
    ]
    assert 'data-stat="delivered"' not in page
    assert "Download the links (Excel)" in page


# --- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "store_manager", "analyst"])
def test_roles_without_distribution_rights_cannot_make_links(client, survey, customers, role):
    answer = make_links(
        signed_in(client, create_staff_user(f"{role}.user", role=role)), survey, city="上海"
    )
    assert answer.status_code == 403
    assert nothing_made()


@pytest.mark.parametrize("role", ["agent", "store_manager"])
def test_roles_without_view_distribution_cannot_download(client, survey, made, role):
    person = signed_in(client, create_staff_user(f"{role}.user", role=role))
    assert download(person, survey, made, "csv").status_code == 403
    assert download(person, survey, made, "xlsx").status_code == 403


def test_view_distribution_is_enough_to_download(client, survey, made):
    person = signed_in(client, create_user_with_permissions("viewer", "view_distribution"))
    assert download(person, survey, made, "csv").status_code == 200
    assert make_links(person, survey, city="上海").status_code == 403


def test_the_distributions_page_offers_the_form_and_lists_the_links_without_a_shared_link(
    manager, survey, made
):
    page = manager.get(f"/surveys/{survey.pk}/distributions/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="customer_file"' in page
    assert f"?d={made.key}" not in page  # no anonymous link for a set of personal links
    assert "one per customer" in page
