"""A CX manager builds a survey in a real browser: from a template, adds a question, previews."""

import os
import re
from pathlib import Path

import pytest

from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def cx_manager(transactional_db):
    create_staff_user("cx.zhao", role="cx_manager")


def _screenshot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("KESHENG_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_cx_manager_creates_a_survey_from_a_template_adds_a_question_and_previews(
    live_server, cx_manager, page, tmp_path
):
    page.goto(f"{live_server.url}/surveys/")
    page.get_by_label("用户名").fill("cx.zhao")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/surveys/$"))

    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")
    page.get_by_role("link", name="New survey").click()
    page.get_by_label("Title").fill("Store NPS 2025")
    page.get_by_label("Start from").select_option("nps_relationship")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/surveys/\d+/$"))
    assert page.locator("h1").inner_text() == "Store NPS 2025"
    assert page.get_by_role("status").inner_text() == "Survey created. Edit its questions below."
    first_page = page.locator("section.editor-page").first
    first_page.get_by_role("link", name="Add a question to this page").click()

    page.get_by_label("Type", exact=True).select_option("multiple_choice")
    page.get_by_label("Name (variable)").fill("channels")
    page.get_by_label("Question (中文)").fill("您通过哪些渠道购物？")
    page.get_by_label("Question (English)").fill("Where do you shop with us?")
    page.get_by_label("Choices", exact=True).fill("app|应用|App\nstore|门店|Store")
    page.get_by_label("Show only if").fill("{nosuch} notempty")
    page.get_by_role("button", name="Save question").click()
    assert (
        "{nosuch} is not a question asked before this point"
        in page.locator(".form-field", has=page.get_by_label("Show only if")).inner_text()
    )

    page.get_by_label("Show only if").fill("")
    page.get_by_role("button", name="Save question").click()
    page.wait_for_url(re.compile(r"/surveys/\d+/#question-channels$"))
    added = page.locator("#question-channels")
    assert "Where do you shop with us?" in added.inner_text()
    assert "Multiple choice" in added.inner_text()
    _screenshot(page, tmp_path, "survey-editor-en")

    page.get_by_role("link", name="Preview").click()
    page.wait_for_url(re.compile(r"/preview/$"))
    assert page.get_by_role("note").is_visible()
    assert page.get_by_text("Where do you shop with us?").is_visible()
    assert page.get_by_label("Store").count() == 1
    _screenshot(page, tmp_path, "survey-preview-en")


@pytest.fixture
def answered_survey(transactional_db):
    from tests.surveys.results_fixtures import add_completed_response, make_sample_survey

    create_staff_user("analyst.qian", role="analyst")
    survey = make_sample_survey()
    for nps, csat, channels in [(10, 5, ["app"]), (9, 4, ["app", "web"]), (4, 2, ["store"])]:
        add_completed_response(
            survey, {"nps": nps, "csat": csat, "channels": channels, "comment": f"评分 {nps}"}
        )
    return survey.pk


def test_analyst_reads_results_with_scores_and_bars(live_server, answered_survey, page, tmp_path):
    page.goto(f"{live_server.url}/surveys/{answered_survey}/results/")
    page.get_by_label("用户名").fill("analyst.qian")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/results/$"))
    assert page.locator("#completed-count").inner_text() == "3"
    nps = page.locator("#summary-nps")
    assert "n = 3" in nps.inner_text()
    assert nps.locator(".score-value").first.inner_text() == "33"
    assert page.locator("#summary-channels .bar-row").count() == 4
    _screenshot(page, tmp_path, "survey-results-zh")
