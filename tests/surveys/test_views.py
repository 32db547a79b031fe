"""Staff survey pages over HTTP: the list, creating, the editor's round trips, the JSON editor,
versioning, preview, results, exports and who may do what."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils.html import escape

from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Survey
from tests.staff_fixtures import create_staff_user
from tests.surveys.results_fixtures import (
    SAMPLE_DEFINITION,
    add_completed_response,
    make_sample_survey,
)


def client_for(client, role):
    client.force_login(create_staff_user(f"{role}.user", role=role))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def manager(client, db):
    return client_for(client, "cx_manager")


@pytest.fixture
def survey(db):
    return make_sample_survey()


def definition_of(survey):
    return Survey.objects.get(pk=survey.pk).current_version.definition


def names_by_page(survey):
    return [[q["name"] for q in page["questions"]] for page in definition_of(survey)["pages"]]


def question_post(**overrides):
    data = {
        "name": "reason",
        "type": "single_choice",
        "page": "p2",
        "title_zh": "主要原因",
        "title_en": "Main reason",
        "required": "on",
        "choices": "price|价格|Price\nservice|服务|Service",
        "visible_if": "{nps} <= 6",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def url(name, *args):
    return reverse(f"surveys:{name}", args=args)


# --- access ------------------------------------------------------------------------------------


def test_survey_pages_ask_an_anonymous_visitor_to_log_in(client, survey):
    response = client.get("/surveys/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/surveys/"


@pytest.mark.parametrize("role", ["store_manager", "agent"])
def test_store_managers_and_agents_may_look_but_not_edit(client, survey, role):
    viewer = client_for(client, role)
    before = definition_of(survey)
    assert viewer.get(url("list")).status_code == 200
    assert viewer.get(url("editor", survey.pk)).status_code == 200
    assert viewer.get(url("new")).status_code == 403
    assert viewer.get(url("question_edit", survey.pk, "nps")).status_code == 403
    assert viewer.post(url("question_add", survey.pk, "p2"), question_post()).status_code == 403
    assert viewer.post(url("question_delete", survey.pk, "nps")).status_code == 403
    assert viewer.post(url("json", survey.pk), {"definition": "{}"}).status_code == 403
    assert viewer.post(url("status", survey.pk), {"status": "closed"}).status_code == 403
    assert definition_of(survey) == before
    assert Survey.objects.get(pk=survey.pk).status == "open"
    html = viewer.get(url("editor", survey.pk)).content.decode()
    assert url("question_edit", survey.pk, "nps") not in html


def test_analysts_read_results_but_do_not_edit(client, survey):
    analyst = client_for(client, "analyst")
    assert analyst.get(url("results", survey.pk)).status_code == 200
    assert analyst.get(url("export", survey.pk, "csv")).status_code == 200
    assert analyst.post(url("question_delete", survey.pk, "nps")).status_code == 403


def test_a_user_without_survey_permissions_is_refused(client, survey):
    from tests.staff_fixtures import create_user_with_permissions

    client.force_login(create_user_with_permissions("intern"))
    assert client.get(url("list")).status_code == 403
    assert client.get(url("results", survey.pk)).status_code == 403


def test_nav_shows_surveys_to_those_who_may_see_them(manager, survey):
    html = manager.get("/customers/").content.decode()
    assert 'href="/surveys/"' in html


# --- list and new ------------------------------------------------------------------------------


def test_survey_list_shows_title_status_and_completed_responses(manager, survey):
    add_completed_response(survey, {"nps": 9})
    response = manager.get(url("list"))
    assert response.status_code == 200
    rows = list(response.context["surveys"])
    assert [(s.title, s.status, s.completed_count) for s in rows] == [("购物体验调查", "open", 1)]
    assert "购物体验调查" in response.content.decode()


def test_new_blank_survey_starts_with_one_question_and_opens_the_editor(manager):
    response = manager.post(url("new"), {"title": "门店调查", "template": ""})
    survey = Survey.objects.get(title="门店调查")
    assert response.status_code == 302
    assert response.url == url("editor", survey.pk)
    assert names_by_page(survey) == [["q1"]]
    assert survey.status == "draft"


def test_new_survey_from_a_built_in_template(manager):
    page = manager.get(url("new"))
    assert ("nps_relationship", "Customer relationship survey (NPS)") in [
        tuple(choice) for choice in page.context["form"].fields["template"].choices
    ]
    response = manager.post(url("new"), {"title": "NPS 2025", "template": "nps_relationship"})
    survey = Survey.objects.get(title="NPS 2025")
    assert response.status_code == 302
    assert survey.template_key == "nps_relationship"
    assert "nps" in [q for page in names_by_page(survey) for q in page]


def test_new_survey_needs_a_title(manager):
    response = manager.post(url("new"), {"title": "", "template": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == ["This field is required."]
    assert Survey.objects.count() == 0


# --- the editor --------------------------------------------------------------------------------


def test_editor_lists_pages_and_questions(manager, survey):
    response = manager.get(url("editor", survey.pk))
    assert response.status_code == 200
    pages = response.context["pages"]
    assert [page["name"] for page in pages] == ["p1", "p2"]
    assert pages[0]["questions"][0] == {
        "name": "nps",
        "type": "nps",
        "type_label": "NPS (0–10)",
        "title": "Likelihood to recommend",
        "required": True,
        "visible_if": "",
    }


def test_add_question_appends_it_to_the_page(manager, survey):
    response = manager.post(url("question_add", survey.pk, "p2"), question_post())
    assert response.status_code == 302
    assert response.url == url("editor", survey.pk) + "#question-reason"
    assert names_by_page(survey)[1][-1] == "reason"
    added = definition_of(survey)["pages"][1]["questions"][-1]
    assert added == {
        "name": "reason",
        "type": "single_choice",
        "title": {"zh-hans": "主要原因", "en": "Main reason"},
        "required": True,
        "visible_if": "{nps} <= 6",
        "choices": [
            {"value": "price", "text": {"zh-hans": "价格", "en": "Price"}},
            {"value": "service", "text": {"zh-hans": "服务", "en": "Service"}},
        ],
    }
    assert Survey.objects.get(pk=survey.pk).current_version.number == 1


def test_add_question_offers_the_next_free_name(manager, survey):
    response = manager.get(url("question_add", survey.pk, "p1"))
    assert response.context["form"].initial["name"] == "q1"


def test_edit_question_round_trips_its_fields(manager, survey):
    form = manager.get(url("question_edit", survey.pk, "stars")).context["form"]
    assert form.initial["scale_min"] == 1
    assert form.initial["max_label_zh"] == "很好"
    response = manager.post(
        url("question_edit", survey.pk, "stars"),
        question_post(
            name="stars", type="rating", page="p1", title_zh="星级评分", title_en="Stars",
            required=None, choices="", visible_if="", scale_min="1", scale_max="10",
            scale_style="numbers", min_label_zh="很差", max_label_zh="很好",
        ),
    )  # fmt: skip
    assert response.status_code == 302
    stars = definition_of(survey)["pages"][0]["questions"][3]
    assert stars == {
        "name": "stars",
        "type": "rating",
        "title": {"zh-hans": "星级评分", "en": "Stars"},
        "scale": {
            "min": 1, "max": 10, "style": "numbers",
            "min_label": {"zh-hans": "很差"}, "max_label": {"zh-hans": "很好"},
        },
    }  # fmt: skip


def test_edit_question_can_move_it_to_another_page(manager, survey):
    manager.post(
        url("question_edit", survey.pk, "ces"),
        question_post(name="ces", type="ces", page="p2", choices="", visible_if=""),
    )
    assert names_by_page(survey) == [
        ["nps", "csat", "stars", "visit", "channels"],
        ["satisfaction", "rank", "age", "again", "comment", "ces"],
    ]


def test_move_question_up_and_down_and_across_pages(manager, survey):
    manager.post(url("question_move", survey.pk, "csat"), {"direction": "up"})
    assert names_by_page(survey)[0][:3] == ["csat", "nps", "ces"]
    manager.post(url("question_move", survey.pk, "csat"), {"direction": "down"})
    assert names_by_page(survey)[0][:3] == ["nps", "csat", "ces"]
    manager.post(url("question_move", survey.pk, "channels"), {"direction": "down"})
    assert names_by_page(survey)[1][0] == "channels"
    assert "channels" not in names_by_page(survey)[0]


def test_delete_question(manager, survey):
    response = manager.post(url("question_delete", survey.pk, "age"))
    assert response.status_code == 302
    assert names_by_page(survey)[1] == ["satisfaction", "rank", "again", "comment"]


def test_a_bad_condition_is_refused_with_the_reason_and_nothing_saved(manager, survey):
    before = definition_of(survey)
    response = manager.post(
        url("question_add", survey.pk, "p2"), question_post(visible_if="{nosuch} > 3")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["visible_if"] == ["{nosuch} is not a question asked before this point"]
    assert "{nosuch} is not a question asked before this point" in response.content.decode()
    assert definition_of(survey) == before


def test_a_condition_that_does_not_parse_is_refused(manager, survey):
    response = manager.post(
        url("question_edit", survey.pk, "comment"),
        question_post(name="comment", type="long_text", choices="", visible_if="{nps} >"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["visible_if"] == ["the condition ends too early (at 8)"]


def test_deleting_a_question_another_one_depends_on_is_refused(manager, survey):
    manager.post(url("question_add", survey.pk, "p2"), question_post())
    before = definition_of(survey)
    response = manager.post(url("question_delete", survey.pk, "nps"), follow=True)
    assert definition_of(survey) == before
    shown = [str(message) for message in response.context["messages"]]
    assert shown[-1:] == [
        "pages[1].questions[5].visible_if: {nps} is not a question asked before this point"
    ]


def test_bad_choice_lines_are_refused(manager, survey):
    response = manager.post(
        url("question_add", survey.pk, "p2"), question_post(choices="|价格|Price")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["choices"] == [
        "line 1: the value before the first | is missing"
    ]


def test_page_logic_round_trip_and_bad_target(manager, survey):
    response = manager.post(
        url("page_edit", survey.pk, "p1"),
        {"name": "p1", "title_zh": "总体", "title_en": "Overall", "skip": "{nps} >= 9 | end"},
    )
    assert response.status_code == 302
    assert definition_of(survey)["pages"][0]["skip"] == [{"if": "{nps} >= 9", "to": "end"}]
    response = manager.post(
        url("page_edit", survey.pk, "p1"), {"name": "p1", "skip": "{nps} >= 9 | p7"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["skip"]
    assert definition_of(survey)["pages"][0]["skip"] == [{"if": "{nps} >= 9", "to": "end"}]


def test_add_move_and_delete_pages(manager, survey):
    manager.post(url("page_add", survey.pk))
    assert [page["name"] for page in definition_of(survey)["pages"]] == ["p1", "p2", "p3"]
    assert names_by_page(survey)[2] == ["q1"]
    manager.post(url("page_move", survey.pk, "p3"), {"direction": "up"})
    assert [page["name"] for page in definition_of(survey)["pages"]] == ["p1", "p3", "p2"]
    manager.post(url("page_delete", survey.pk, "p3"))
    assert [page["name"] for page in definition_of(survey)["pages"]] == ["p1", "p2"]


def test_settings_and_status(manager, survey):
    response = manager.post(
        url("settings", survey.pk),
        {
            "title": "新标题",
            "slug": "new-title",
            "allow_resume": "on",
            "closes_at": "2030-01-31T18:00",
            "response_cap": "500",
        },
    )
    assert response.status_code == 302
    changed = Survey.objects.get(pk=survey.pk)
    assert (changed.title, changed.slug, changed.is_anonymous, changed.response_cap) == (
        "新标题", "new-title", False, 500,
    )  # fmt: skip
    assert changed.closes_at.isoformat() == "2030-01-31T10:00:00+00:00"
    manager.post(url("status", survey.pk), {"status": "closed"})
    assert Survey.objects.get(pk=survey.pk).status == "closed"


def test_settings_refuse_a_link_name_already_taken(manager, survey):
    create_survey(title="Other", definition=SAMPLE_DEFINITION, slug="taken")
    response = manager.post(url("settings", survey.pk), {"title": "x", "slug": "taken"})
    assert response.status_code == 400
    assert response.context["settings_form"].errors["slug"]
    assert Survey.objects.get(pk=survey.pk).slug != "taken"


# --- JSON editor -------------------------------------------------------------------------------


def test_json_editor_shows_and_saves_the_definition(manager, survey):
    import json

    page = manager.get(url("json", survey.pk))
    shown = json.loads(page.context["form"].initial["definition"])
    assert shown == SAMPLE_DEFINITION
    shown["title"]["en"] = "Renamed"
    response = manager.post(url("json", survey.pk), {"definition": json.dumps(shown)})
    assert response.status_code == 302
    assert definition_of(survey)["title"]["en"] == "Renamed"


def test_json_editor_refuses_text_that_is_not_json(manager, survey):
    before = definition_of(survey)
    response = manager.post(url("json", survey.pk), {"definition": '{"pages": ['})
    assert response.status_code == 400
    assert response.context["form"].errors["definition"] == [
        "Not valid JSON: line 1, column 12: Expecting value"
    ]
    assert definition_of(survey) == before


def test_json_editor_lists_every_problem_of_an_invalid_definition(manager, survey):
    import json

    before = definition_of(survey)
    broken = json.loads(json.dumps(SAMPLE_DEFINITION))
    broken["pages"][0]["questions"][0]["type"] = "stars"
    broken["pages"][1]["questions"][0]["visible_if"] = "{nps} >"
    response = manager.post(url("json", survey.pk), {"definition": json.dumps(broken)})
    assert response.status_code == 400
    errors = response.context["form"].errors["definition"]
    assert len(errors) == 2
    assert errors[0].startswith("pages[0].questions[0].type: ")
    assert errors[1] == "pages[1].questions[0].visible_if: the condition ends too early (at 8)"
    assert definition_of(survey) == before


# --- versions ----------------------------------------------------------------------------------


def test_editing_a_survey_with_responses_makes_a_new_version(manager, survey):
    first = add_completed_response(survey, {"nps": 9})
    response = manager.post(url("question_delete", survey.pk, "comment"), follow=True)
    changed = Survey.objects.get(pk=survey.pk)
    assert changed.current_version.number == 2
    assert [str(m) for m in response.context["messages"]] == [
        "Saved as version 2. Earlier responses keep the version they answered."
    ]
    first.refresh_from_db()
    assert first.version.number == 1
    assert "comment" in [q["name"] for q in first.version.definition["pages"][1]["questions"]]
    assert "version 2" in response.content.decode()


def test_editing_a_survey_without_responses_keeps_its_version(manager, survey):
    response = manager.post(url("question_delete", survey.pk, "comment"), follow=True)
    assert Survey.objects.get(pk=survey.pk).current_version.number == 1
    assert [str(m) for m in response.context["messages"]] == ["Saved (version 1)."]


# --- preview -----------------------------------------------------------------------------------


def test_preview_renders_a_page_as_the_respondent_sees_it(manager, survey):
    response = manager.get(url("preview", survey.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Likelihood to recommend" in html
    assert 'name="' in html
    assert response.context["next_page"] == "p2"
    second = manager.get(url("preview", survey.pk) + "?page=p2&lang=zh-hans").content.decode()
    assert "各方面满意度" in second
    assert manager.get(url("preview", survey.pk) + "?page=nope").status_code == 404


# --- results, responses and exports ------------------------------------------------------------


@pytest.fixture
def answered(survey, customer):
    add_completed_response(survey, {"nps": 10, "csat": 5, "comment": "很好"}, customer=customer)
    add_completed_response(survey, {"nps": 3, "csat": 2})
    return survey


def test_results_page_shows_counts_scores_and_bars(manager, answered):
    response = manager.get(url("results", answered.pk))
    assert response.status_code == 200
    results = response.context["results"]
    assert results.completed == 2
    nps = next(q for q in results.questions if q.name == "nps")
    assert (nps.score.value, nps.score.n) == (0.0, 2)
    html = response.content.decode()
    assert "small sample (n under 30)" in html
    assert url("export", answered.pk, "sav") in html
    assert "很好" in html


def test_results_filters_by_date(manager, answered):
    response = manager.get(url("results", answered.pk) + "?date_from=2001-01-01&date_to=2001-01-02")
    assert response.context["results"].completed == 0
    bad = manager.get(url("results", answered.pk) + "?date_from=2030-01-02&date_to=2030-01-01")
    assert bad.status_code == 200
    assert bad.context["filter_form"].errors["date_to"] == ["must be on or after the start date"]


def test_responses_list_and_single_response(manager, answered):
    listing = manager.get(url("responses", answered.pk) + "?status=completed")
    assert listing.status_code == 200
    responses = list(listing.context["page"].object_list)
    assert len(responses) == 2
    detail = manager.get(url("response_detail", answered.pk, responses[1].pk))
    assert detail.status_code == 200
    lines = {line.name: line.text for line in detail.context["detail"].answers}
    assert lines == {
        "nps": "10 (Extremely likely)",
        "csat": "5 (Very satisfied)",
        "comment": "很好",
    }
    assert manager.get(url("response_detail", answered.pk, 999999)).status_code == 404


def test_responses_list_uses_a_fixed_number_of_queries(
    manager, answered, django_assert_max_num_queries
):
    for _ in range(5):
        add_completed_response(answered, {"nps": 8})
    with django_assert_max_num_queries(12):
        assert manager.get(url("responses", answered.pk)).status_code == 200


def test_export_downloads_csv_with_a_byte_order_mark(manager, answered):
    response = manager.get(url("export", answered.pk, "csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{answered.slug}-responses.csv"'
    )
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["nps"] for row in rows] == ["10", "3"]
    assert [row["customer_id"] for row in rows] == ["C001", ""]


def test_export_downloads_spss(manager, answered, tmp_path):
    import pyreadstat

    response = manager.get(url("export", answered.pk, "sav"))
    path = tmp_path / "download.sav"
    path.write_bytes(b"".join(response.streaming_content))
    data, meta = pyreadstat.read_sav(str(path), output_format="dict")
    assert list(data["nps"]) == [10, 3]
    assert dict(zip(meta.column_names, meta.column_labels, strict=True))["csat"] == "满意度"


def test_export_of_an_unknown_format_is_not_found(manager, answered):
    assert manager.get(url("export", answered.pk, "pdf")).status_code == 404


def test_distributions_tab_lists_distributions_with_statistics_and_qr(manager, answered):
    from kesheng.surveys.actions.distribution import create_distribution

    distribution = create_distribution(survey=answered, kind="qr", name="南京路店二维码")
    response = manager.get(url("distributions", answered.pk))
    assert response.status_code == 200
    assert [row["distribution"].pk for row in response.context["rows"]] == [distribution.pk]
    assert "南京路店二维码" in response.content.decode()
    qr = manager.get(url("distribution_qr", answered.pk, distribution.pk, "svg"))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content


def test_survey_list_and_results_use_a_fixed_number_of_queries(
    manager, answered, django_assert_max_num_queries
):
    for number in range(3):
        add_completed_response(make_sample_survey(title=f"调查 {number}"), {"nps": 5})
    with django_assert_max_num_queries(5):
        assert manager.get(url("list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert manager.get(url("results", answered.pk)).status_code == 200


# --- the form editor covers every type's own settings ------------------------------------------


def matrix_post(**overrides):
    data = {
        "name": "satisfaction",
        "type": "matrix",
        "page": "p2",
        "title_zh": "各方面满意度",
        "title_en": "Satisfaction with",
        "rows": "delivery|配送|Delivery\nprice|价格|Price",
        "columns": "bad|差|Bad\nok|一般|OK\ngood|好|Good",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_matrix_columns_are_added_in_the_form_editor(manager, survey):
    response = manager.post(url("question_edit", survey.pk, "satisfaction"), matrix_post())
    assert response.status_code == 302
    matrix = definition_of(survey)["pages"][1]["questions"][0]
    assert matrix == {
        "name": "satisfaction",
        "type": "matrix",
        "title": {"zh-hans": "各方面满意度", "en": "Satisfaction with"},
        "rows": [
            {"value": "delivery", "text": {"zh-hans": "配送", "en": "Delivery"}},
            {"value": "price", "text": {"zh-hans": "价格", "en": "Price"}},
        ],
        "columns": [
            {"value": "bad", "text": {"zh-hans": "差", "en": "Bad"}},
            {"value": "ok", "text": {"zh-hans": "一般", "en": "OK"}},
            {"value": "good", "text": {"zh-hans": "好", "en": "Good"}},
        ],
    }


def test_matrix_rows_and_columns_round_trip_reorder_and_remove(manager, survey):
    manager.post(url("question_edit", survey.pk, "satisfaction"), matrix_post())
    form = manager.get(url("question_edit", survey.pk, "satisfaction")).context["form"]
    assert form.initial["columns"] == "bad|差|Bad\nok|一般|OK\ngood|好|Good"
    assert form.initial["rows"] == "delivery|配送|Delivery\nprice|价格|Price"
    response = manager.post(
        url("question_edit", survey.pk, "satisfaction"),
        matrix_post(
            rows="price|价格|Price\ndelivery|配送\nstaff|员工|Staff",
            columns="good|好|Good\n\nbad|差",
        ),
    )
    assert response.status_code == 302
    matrix = definition_of(survey)["pages"][1]["questions"][0]
    assert [(row["value"], row["text"]) for row in matrix["rows"]] == [
        ("price", {"zh-hans": "价格", "en": "Price"}),
        ("delivery", {"zh-hans": "配送"}),
        ("staff", {"zh-hans": "员工", "en": "Staff"}),
    ]
    assert [(column["value"], column["text"]) for column in matrix["columns"]] == [
        ("good", {"zh-hans": "好", "en": "Good"}),
        ("bad", {"zh-hans": "差"}),
    ]


def test_clearing_matrix_columns_returns_to_points(manager, survey):
    manager.post(url("question_edit", survey.pk, "satisfaction"), matrix_post())
    response = manager.post(
        url("question_edit", survey.pk, "satisfaction"), matrix_post(columns="", scale_points="7")
    )
    assert response.status_code == 302
    matrix = definition_of(survey)["pages"][1]["questions"][0]
    assert "columns" not in matrix
    assert matrix["scale"] == {"points": 7}


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"columns": "only|唯一"}, "columns", "needs at least 2 columns"),
        ({"columns": "a|甲\nb|乙\na|丙"}, "columns", "line 3: 'a' appears twice"),
        ({"columns": "a|甲\n\nb|乙\nb|丙"}, "columns", "line 4: 'b' appears twice"),
        ({"columns": "a|甲\n|乙"}, "columns", "line 2: the value before the first | is missing"),
        ({"scale_points": "5"}, "columns", "give either columns or scale, not both"),
        ({"rows": ""}, "rows", "needs at least one row"),
        ({"rows": "x|甲\nx|乙"}, "rows", "line 2: 'x' appears twice"),
    ],
)
def test_bad_matrix_rows_or_columns_are_refused_on_their_field(
    manager, survey, overrides, field, reason
):
    before = definition_of(survey)
    response = manager.post(
        url("question_edit", survey.pk, "satisfaction"), matrix_post(**overrides)
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [reason]
    assert escape(reason) in response.content.decode()
    assert definition_of(survey) == before


def test_matrix_columns_field_is_on_the_question_page(manager, survey):
    html = manager.get(url("question_edit", survey.pk, "satisfaction")).content.decode()
    assert 'name="columns"' in html
    assert "Matrix columns" in html


def test_type_specific_settings_are_saved_from_the_form(manager, survey):
    cases = [
        (
            question_post(
                name="often", type="multiple_choice", visible_if="", has_other="on",
                randomize="on", validation_min_choices="1", validation_max_choices="2",
            ),
            {"has_other": True, "randomize": True,
             "validation": {"min_choices": 1, "max_choices": 2}},
        ),
        (
            question_post(
                name="order", type="ranking", visible_if="", randomize="on", required=None
            ),
            {"randomize": True},
        ),
        (
            question_post(
                name="code", type="short_text", choices="", visible_if="",
                validation_regex="[A-Z]{2}[0-9]{4}", validation_max_length="6",
            ),
            {"validation": {"regex": "[A-Z]{2}[0-9]{4}", "max_length": 6}},
        ),
        (
            question_post(
                name="spend", type="numeric", choices="", visible_if="",
                validation_min="0", validation_max="99.5", validation_integer="on",
            ),
            {"validation": {"min": 0, "max": 99.5, "integer": True}},
        ),
        (
            question_post(
                name="score", type="rating", choices="", visible_if="",
                scale_min="0", scale_max="10", scale_style="numbers",
            ),
            {"scale": {"min": 0, "max": 10, "style": "numbers"}},
        ),
        (
            question_post(name="agree", type="likert", choices="", visible_if="", scale_points="7"),
            {"scale": {"points": 7}},
        ),
    ]  # fmt: skip
    for post, expected in cases:
        response = manager.post(url("question_add", survey.pk, "p2"), post)
        assert response.status_code == 302, response.context["form"].errors
        saved = definition_of(survey)["pages"][1]["questions"][-1]
        assert {key: saved[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        (
            {
                "type": "multiple_choice",
                "validation_min_choices": "3",
                "validation_max_choices": "2",
            },
            "validation_min_choices",
            "is more than the 2 choices offered",
        ),
        (
            {"type": "short_text", "choices": "", "validation_regex": "(a+)+"},
            "validation_regex",
            "repeats a group that itself repeats or has alternatives, which can take too long "
            "to check; simplify the expression",
        ),
        (
            {"type": "rating", "choices": "", "scale_min": "5", "scale_max": "1"},
            "scale_min",
            "min must be below max",
        ),
        (
            {"type": "numeric", "choices": "", "validation_min": "abc"},
            "validation_min",
            "must be a number",
        ),
        (
            {"type": "single_choice", "choices": "other|其他\nx|甲", "has_other": "on"},
            "choices",
            "the value 'other' is taken by has_other; give the choice another value",
        ),
    ],
)
def test_bad_type_specific_settings_are_refused_on_their_field(
    manager, survey, overrides, field, reason
):
    before = definition_of(survey)
    response = manager.post(
        url("question_add", survey.pk, "p2"), question_post(visible_if="", **overrides)
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [reason]
    assert definition_of(survey) == before


def test_editing_in_the_form_keeps_tool_notes(manager, survey):
    import json

    definition = definition_of(survey)
    definition["pages"][1]["questions"][4]["x_source"] = "limesurvey:123"
    manager.post(url("json", survey.pk), {"definition": json.dumps(definition)})
    manager.post(
        url("question_edit", survey.pk, "comment"),
        question_post(name="comment", type="long_text", choices="", visible_if="", page="p2"),
    )
    assert definition_of(survey)["pages"][1]["questions"][4]["x_source"] == "limesurvey:123"


# --- renaming a question of a survey with responses --------------------------------------------


def rename_post(**overrides):
    data = {
        "name": "recommend", "type": "nps", "page": "p1", "title_zh": "推荐可能性",
        "title_en": "Likelihood to recommend", "required": "on",
    }  # fmt: skip
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_renaming_a_question_with_responses_warns_and_saves_nothing(manager, survey):
    add_completed_response(survey, {"nps": 9, "csat": 4})
    add_completed_response(survey, {"nps": 3, "csat": 2})
    add_completed_response(survey, {"nps": 5})
    before = definition_of(survey)
    response = manager.post(
        url("question_edit", survey.pk, "csat"),
        rename_post(name="overall", type="csat", title_zh="满意度", required=None),
    )
    assert response.status_code == 409
    assert response.context["rename_warning"] == {
        "token": "csat>overall",
        "renames": [{"old": "csat", "new": "overall", "count": 2}],
    }
    html = response.content.decode()
    assert "2 responses answered csat." in html
    assert "Results and exports will treat overall as a new question" in html
    assert 'name="confirm_rename" value="csat&gt;overall"' in html
    assert definition_of(survey) == before
    assert Survey.objects.get(pk=survey.pk).current_version.number == 1


def test_a_confirmed_rename_is_saved_as_a_new_version(manager, survey):
    add_completed_response(survey, {"nps": 9})
    response = manager.post(
        url("question_edit", survey.pk, "nps"), rename_post(confirm_rename="nps>recommend")
    )
    assert response.status_code == 302
    assert response.url == url("editor", survey.pk) + "#question-recommend"
    assert names_by_page(survey)[0][0] == "recommend"
    assert Survey.objects.get(pk=survey.pk).current_version.number == 2


def test_a_confirmation_of_another_rename_does_not_count(manager, survey):
    add_completed_response(survey, {"nps": 9})
    before = definition_of(survey)
    response = manager.post(
        url("question_edit", survey.pk, "nps"), rename_post(confirm_rename="nps>promoter")
    )
    assert response.status_code == 409
    assert definition_of(survey) == before


def test_renaming_without_responses_needs_no_confirmation(manager, survey):
    response = manager.post(url("question_edit", survey.pk, "nps"), rename_post())
    assert response.status_code == 302
    assert names_by_page(survey)[0][0] == "recommend"


def test_a_rename_that_is_refused_anyway_shows_the_problem_not_the_warning(manager, survey):
    add_completed_response(survey, {"nps": 9})
    before = definition_of(survey)
    response = manager.post(
        url("question_edit", survey.pk, "nps"), rename_post(name="csat", confirm_rename=None)
    )
    assert response.status_code == 400
    assert response.context["rename_warning"] is None
    assert definition_of(survey) == before


def test_json_editor_warns_before_a_rename_and_saves_it_when_confirmed(manager, survey):
    import json

    add_completed_response(survey, {"nps": 9, "comment": "好"})
    before = definition_of(survey)
    renamed = json.loads(json.dumps(before))
    renamed["pages"][0]["questions"][0]["name"] = "recommend"
    renamed["pages"][1]["questions"][4]["name"] = "remarks"
    text = json.dumps(renamed, ensure_ascii=False)
    response = manager.post(url("json", survey.pk), {"definition": text})
    assert response.status_code == 409
    assert response.context["rename_warning"]["renames"] == [
        {"old": "comment", "new": "remarks", "count": 1},
        {"old": "nps", "new": "recommend", "count": 1},
    ]
    assert "1 response answered nps." in response.content.decode()
    assert definition_of(survey) == before
    response = manager.post(
        url("json", survey.pk), {"definition": text, "confirm_rename": "nps>recommend"}
    )
    assert response.status_code == 409
    assert definition_of(survey) == before
    response = manager.post(
        url("json", survey.pk),
        {"definition": text, "confirm_rename": "comment>remarks,nps>recommend"},
    )
    assert response.status_code == 302
    assert definition_of(survey) == renamed
    assert Survey.objects.get(pk=survey.pk).current_version.number == 2


def test_json_editor_sees_a_moved_and_renamed_question_by_its_title(manager, survey):
    import json

    add_completed_response(survey, {"nps": 7, "age": 30})
    renamed = json.loads(json.dumps(definition_of(survey)))
    age = renamed["pages"][1]["questions"].pop(2)
    age["name"] = "years"
    renamed["pages"][0]["questions"].append(age)
    response = manager.post(url("json", survey.pk), {"definition": json.dumps(renamed)})
    assert response.status_code == 409
    assert response.context["rename_warning"]["renames"] == [
        {"old": "age", "new": "years", "count": 1}
    ]


def test_json_editor_without_renames_saves_directly_when_there_are_responses(manager, survey):
    import json

    add_completed_response(survey, {"nps": 9})
    changed = json.loads(json.dumps(definition_of(survey)))
    changed["title"]["en"] = "Renamed survey"
    response = manager.post(url("json", survey.pk), {"definition": json.dumps(changed)})
    assert response.status_code == 302
    assert definition_of(survey)["title"]["en"] == "Renamed survey"
