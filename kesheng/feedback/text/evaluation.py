"""Measuring sentiment predictions against labelled text: accuracy, macro-F1, confusion matrix.

A labelled file says ``positive`` / ``neutral`` / ``negative``, or ``1`` / ``0`` (1 positive, 0
negative). On a file with only positive and negative labels a neutral prediction counts by the
sign of its score (above 0 positive, else negative), since the file cannot be right about a
middle it does not have.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kesheng.feedback.text.sentiment import LABELS, NEGATIVE, NEUTRAL, POSITIVE

_LABEL_ALIASES = {
    "positive": POSITIVE,
    "pos": POSITIVE,
    "1": POSITIVE,
    "neutral": NEUTRAL,
    "negative": NEGATIVE,
    "neg": NEGATIVE,
    "0": NEGATIVE,
    "-1": NEGATIVE,
}


class LabelledFileError(ValueError):
    """A labelled file that cannot be read; ``problems`` holds one "row N, column C: reason"
    string per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_label(value: str) -> str | None:
    return _LABEL_ALIASES.get(value.strip().lower())


def read_labelled_csv(path: str | Path) -> list[tuple[str, str]]:
    """(text, label) pairs of a CSV file with the columns ``text`` and ``label`` (UTF-8, with or
    without a byte-order mark, else GB18030). Raises LabelledFileError naming every bad row."""
    raw = Path(path).read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            content = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise LabelledFileError(["row 1, column -: the file is not UTF-8 text"]) from None
    rows = csv.reader(content.splitlines())
    header = [cell.strip().lower() for cell in next(rows, [])]
    missing = [name for name in ("text", "label") if name not in header]
    if missing:
        raise LabelledFileError([f"row 1, column {name}: is missing" for name in missing])
    text_at, label_at = header.index("text"), header.index("label")
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for row_number, record in enumerate(rows, start=2):
        if not any(cell.strip() for cell in record):
            continue
        record = record + [""] * (len(header) - len(record))
        text, label_text = record[text_at].strip(), record[label_at]
        label = parse_label(label_text)
        if not text:
            problems.append(f"row {row_number}, column text: is empty")
        elif label is None:
            problems.append(
                f"row {row_number}, column label: {label_text!r} is not positive, neutral, "
                "negative, 1 or 0"
            )
        else:
            pairs.append((text, label))
    if problems:
        raise LabelledFileError(problems)
    if not pairs:
        raise LabelledFileError(["row 2, column text: the file has no labelled rows"])
    return pairs


@dataclass(frozen=True)
class Evaluation:
    n: int
    accuracy: float
    macro_f1: float
    confusion: dict[str, dict[str, int]]  # gold label -> predicted label -> count

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "confusion": self.confusion,
        }


def evaluate_predictions(
    gold: Sequence[str], predicted: Sequence[str], scores: Iterable[float]
) -> Evaluation:
    """Compare predictions with gold labels (see the module docstring for two-label files)."""
    gold_labels = [label for label in LABELS if label in set(gold)]
    two_labels = NEUTRAL not in gold_labels
    predicted = [
        (POSITIVE if score > 0 else NEGATIVE) if two_labels and label == NEUTRAL else label
        for label, score in zip(predicted, scores, strict=True)
    ]
    shown = [POSITIVE, NEGATIVE] if two_labels else list(LABELS)
    confusion = {g: dict.fromkeys(shown, 0) for g in shown}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    n = len(gold)
    correct = sum(confusion[label][label] for label in shown)
    f1_scores = []
    for label in gold_labels:
        true_positive = confusion[label][label]
        predicted_count = sum(confusion[g][label] for g in shown)
        gold_count = sum(confusion[label].values())
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / gold_count if gold_count else 0.0
        f1_scores.append(
            2 * precision * recall / (precision + recall) if precision + recall else 0.0
        )
    return Evaluation(
        n=n,
        accuracy=round(correct / n, 4) if n else 0.0,
        macro_f1=round(sum(f1_scores) / len(f1_scores), 4) if f1_scores else 0.0,
        confusion=confusion,
    )
