"""kesheng feedback evaluate FILE [--json]: the measured figures, and exit 2 on a bad file."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tests.import_helpers import write_file


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


LABELLED = (
    "text,label\n"
    "店员很热情，推荐大家来,positive\n"
    "服务态度很差，再也不来了,negative\n"
    "不是很满意,negative\n"
    "没有想象中那么差,1\n"
    "还行吧,neutral\n"
)


def test_evaluate_prints_n_accuracy_macro_f1_and_the_confusion_matrix_as_json(tmp_path):
    path = write_file(tmp_path, "labelled.csv", LABELLED)
    code, out, err = run("evaluate", str(path), "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert sorted(result) == ["accuracy", "confusion", "macro_f1", "n"]
    assert result["n"] == 5
    assert sorted(result["confusion"]) == ["negative", "neutral", "positive"]
    assert all(
        sorted(row) == ["negative", "neutral", "positive"] for row in result["confusion"].values()
    )
    assert sum(sum(row.values()) for row in result["confusion"].values()) == 5
    assert 0 <= result["macro_f1"] <= result["accuracy"] + 1
    diagonal = sum(result["confusion"][label][label] for label in result["confusion"])
    assert result["accuracy"] == round(diagonal / 5, 4)


def test_a_two_label_file_counts_neutral_by_the_sign_of_the_score(tmp_path):
    path = write_file(tmp_path, "labelled.csv", "text,label\n很好,1\n很差,0\n")
    result = json.loads(run("evaluate", str(path), "--json")[1])
    assert result == {
        "n": 2,
        "accuracy": 1.0,
        "macro_f1": 1.0,
        "confusion": {
            "positive": {"positive": 1, "negative": 0},
            "negative": {"positive": 0, "negative": 1},
        },
    }


def test_evaluate_prints_a_table_without_json(tmp_path):
    path = write_file(tmp_path, "labelled.csv", "text,label\n很好,1\n很差,0\n")
    code, out, _ = run("evaluate", str(path))
    assert code == 0
    assert out.splitlines()[0] == "n = 2, accuracy 1.000, macro-F1 1.000"


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        ("words,label\n好,1\n", ["row 1, column text: is missing"]),
        (
            "text,label\n好,1\n,0\n差,bad\n",
            [
                "row 3, column text: is empty",
                "row 4, column label: 'bad' is not positive, neutral, negative, 1 or 0",
            ],
        ),
    ],
)
def test_evaluate_refuses_a_bad_file_with_exit_2(tmp_path, content, problems):
    path = write_file(tmp_path, "labelled.csv", content)
    code, out, err = run("evaluate", str(path))
    assert (code, out) == (2, "")
    assert [line.removeprefix(f"{path}: ") for line in err.splitlines()[:-1]] == problems


def test_evaluate_refuses_a_missing_file(tmp_path):
    code, _, err = run("evaluate", str(tmp_path / "nothing.csv"))
    assert code == 2
    assert err.strip() == f"{tmp_path / 'nothing.csv'}: no such file"
