"""kesheng feedback analyse TEXT [--json], topics [--days N] [--json], train --categories-only:
the JSON contracts, the readable output and exit 2 on bad input."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from kesheng.feedback.actions import record_feedback
from kesheng.feedback.corrections import correct_feedback
from kesheng.feedback.models import CategoryModel, FeedbackItem
from tests.feedback.test_commands import run
from tests.staff_fixtures import create_staff_user


def test_analyse_prints_the_documented_json(db):
    code, out, err = run("analyse", "店员很热情，但是送货太慢了", "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert list(result) == ["language", "sentiment", "score", "categories", "aspects"]
    assert result["language"] == "zh"
    assert result["sentiment"] in ("positive", "neutral", "negative")
    assert -1 <= result["score"] <= 1
    assert result["categories"] == ["delivery", "staff"]
    assert result["aspects"] == [
        {"category": "delivery", "sentiment": "negative"},
        {"category": "staff", "sentiment": "positive"},
    ]


def test_analyse_a_text_without_categories(db):
    result = json.loads(run("analyse", "今天天气不错", "--json")[1])
    assert (result["categories"], result["aspects"]) == ([], [])


def test_analyse_prints_a_readable_summary_with_chinese_and_english_labels(db):
    code, out, _ = run("analyse", "店员很热情，但是送货太慢了")
    assert code == 0
    assert "物流配送 / Delivery (delivery)" in out
    assert "员工服务态度 / Staff attitude (staff): 正面 / positive" in out
    assert "物流配送 / Delivery (delivery): 负面 / negative" in out
    assert out.startswith("Language: zh\n")


def test_analyse_an_empty_text_exits_2(db):
    code, out, err = run("analyse", "   ", "--json")
    assert (code, out) == (2, "")
    assert "TEXT: is empty" in err


def _keyword_items(source_prefix: str, count: int, text: str, days_ago: float) -> list[dict]:
    when = timezone.now() - timedelta(days=days_ago)
    return [
        {
            "source": "review",
            "source_id": f"{source_prefix}-{number}",
            "text": text,
            "occurred_at": (when - timedelta(minutes=number)).isoformat(),
        }
        for number in range(count)
    ]


@pytest.fixture
def weeks_of_feedback(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(
            items=[
                *_keyword_items("old", 80, "店员热情，推荐", 14),
                *_keyword_items("new-praise", 20, "店员热情，推荐", 2),
                *_keyword_items("new-freezer", 10, "冷柜坏了，冷柜不制冷", 1),
            ]
        )
    assert FeedbackItem.objects.filter(analysis_status="analysed").count() == 110


def test_topics_lists_the_keywords_that_rose_this_week_as_json(weeks_of_feedback):
    code, out, err = run("topics", "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert (result["comments"], result["baseline_comments"]) == (30, 80)
    terms = [topic["term"] for topic in result["topics"]]
    assert "冷柜" in terms
    assert "店员" not in terms and "热情" not in terms
    freezer = result["topics"][terms.index("冷柜")]
    assert (freezer["count"], freezer["share"], freezer["baseline_count"]) == (10, 0.3333, 0)
    assert freezer["q_value"] <= 0.05


def test_topics_with_a_shorter_period_and_readable_output(weeks_of_feedback):
    code, out, _ = run("topics", "--days", "3")
    assert code == 0
    assert out.startswith("30 comments in the last 3 days against 80 in the 4 periods before.\n")
    assert "\n冷柜: 10 comments (33.3 %, before 0.0 %), q = " in out


def test_topics_without_comments_says_so(db):
    code, out, _ = run("topics")
    assert code == 0
    assert (
        out
        == "0 comments in the last 7 days against 0 in the 4 periods before.\nNo emerging topics.\n"
    )


@pytest.mark.parametrize("days", ["0", "400"])
def test_topics_refuses_a_bad_period(db, days):
    code, out, err = run("topics", "--days", days)
    assert (code, out) == (2, "")
    assert "--days" in err


def test_train_categories_only_learns_from_the_stored_corrections(
    db, django_capture_on_commit_callbacks
):
    agent = create_staff_user("agent.li", role="agent")
    texts = [(f"冷柜第{n}次坏了", "environment") for n in range(5)]
    texts += [(f"价格第{n}次涨了", "price") for n in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(
            items=[
                {"source": "review", "source_id": f"t{n}", "text": text}
                for n, (text, _) in enumerate(texts)
            ]
        )
    code, out, _ = run("train", "--categories-only", "--json")
    assert json.loads(out) == {"categories": {"examples": 0, "learned": [], "version": ""}}
    for n, (_, key) in enumerate(texts):
        item = FeedbackItem.objects.get(source_id=f"t{n}")
        correct_feedback(item=item, corrected_by=agent, categories=[key])
    code, out, _ = run("train", "--categories-only", "--json")
    result = json.loads(out)["categories"]
    assert code == 0
    assert (result["examples"], result["learned"]) == (10, ["price", "environment"])
    assert CategoryModel.objects.get().version == result["version"]
    code, out, _ = run("train", "--categories-only")
    assert out.startswith("Category model categories-")


def test_the_inbox_shows_this_weeks_emerging_topics(client, weeks_of_feedback):
    create_staff_user("cx.zhang", role="cx_manager")
    client.login(username="cx.zhang", password="a-long-test-password-42")
    page = client.get("/feedback/")
    panel = page.context["emerging_topics"]
    assert (panel["comments"], panel["baseline_comments"]) == (30, 80)
    assert panel["topics"][0] == {
        "term": panel["topics"][0]["term"],
        "count": 10,
        "share": "33.3 %",
        "baseline_share": "0.0 %",
    }
    assert {topic["term"] for topic in panel["topics"]} == {"冷柜", "制冷"}
    assert 'id="emerging-topics"' in page.content.decode()
