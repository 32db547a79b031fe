"""``kesheng survey import|export|export-definition|list|templates|create-from-template``.

``import`` prints a summary and then the new survey's id alone on the last line, so a script can
take it with ``tail -n 1``; ``--json`` prints one object instead. A file that cannot be imported
exits with code 2, the reason on stderr, and nothing written.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kesheng.core.errors import DomainError, NotFound
from kesheng.surveys.actions.templates import create_survey_from_template
from kesheng.surveys.builtin import list_templates
from kesheng.surveys.exporters.surveyjs import export_surveyjs
from kesheng.surveys.importers import SurveyImportError, import_survey_file
from kesheng.surveys.queries.responses import get_survey
from kesheng.surveys.queries.surveys import list_surveys

EXPORT_FORMATS = ("csv", "xlsx", "sav")


def _question_names(definition: dict) -> list[str]:
    return [
        question["name"]
        for page in definition.get("pages") or []
        for question in page.get("questions") or []
    ]


class Command(BaseCommand):
    help = _(
        "Import survey definitions (SurveyJS JSON, LimeSurvey .lss), export responses (CSV, "
        "XLSX, SPSS .sav) or a definition (SurveyJS JSON), list surveys and built-in templates, "
        "and create a survey from a template."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        importing = commands.add_parser(
            "import",
            help=_("create a draft survey from a SurveyJS JSON or LimeSurvey .lss file"),
            description=_(
                "The format is recognised from the content. Prints a summary, what could not "
                "be mapped, and the new survey's id alone on the last line."
            ),
        )
        importing.add_argument("file", help=_("the SurveyJS JSON or LimeSurvey .lss file"))
        importing.add_argument(
            "--json",
            action="store_true",
            help=_('print {"id", "title", "questions", "unmapped"} as JSON instead'),
        )
        exporting = commands.add_parser("export", help=_("export a survey's responses"))
        exporting.add_argument("survey_id", type=int, metavar="ID", help=_("the survey's id"))
        exporting.add_argument("--format", required=True, choices=EXPORT_FORMATS)
        exporting.add_argument("--output", required=True, metavar="PATH")
        definition = commands.add_parser(
            "export-definition", help=_("write a survey's definition as SurveyJS JSON")
        )
        definition.add_argument("survey_id", type=int, metavar="ID", help=_("the survey's id"))
        definition.add_argument("--output", required=True, metavar="PATH")
        listing = commands.add_parser("list", help=_("list surveys"))
        listing.add_argument("--json", action="store_true", help=_("print JSON"))
        templates = commands.add_parser("templates", help=_("list the built-in templates"))
        templates.add_argument("--json", action="store_true", help=_("print JSON"))
        create = commands.add_parser(
            "create-from-template",
            help=_("create a draft survey from a built-in template"),
            description=_("Prints the new survey's id alone on the last line."),
        )
        create.add_argument("key", help=_("the template's key (see 'kesheng survey templates')"))
        create.add_argument("--title", help=_("the survey's title (default: the template's)"))

    def handle(self, *args, **options):
        handler = getattr(self, "handle_" + options["subcommand"].replace("-", "_"))
        handler(options)

    def handle_import(self, options):
        try:
            imported = import_survey_file(options["file"])
        except SurveyImportError as error:
            raise CommandError(
                _("%(file)s: %(reason)s") % {"file": options["file"], "reason": error.message},
                returncode=2,
            ) from None
        survey = imported.survey
        names = _question_names(survey.current_version.definition)
        if options["json"]:
            result = {
                "id": survey.pk,
                "title": survey.title,
                "questions": names,
                "unmapped": imported.unmapped,
            }
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            _("Imported '%(title)s' with %(count)d questions: %(names)s")
            % {"title": survey.title, "count": len(names), "names": ", ".join(names)}
        )
        if imported.unmapped:
            self.stdout.write(
                _("Not imported as they were (%(count)d):") % {"count": len(imported.unmapped)}
            )
            for item in imported.unmapped:
                self.stdout.write(f"  {item['name']}: {item['reason']}")
        self.stdout.write(str(survey.pk))

    def _survey(self, survey_id: int):
        try:
            return get_survey(survey_id)
        except NotFound as missing:
            raise CommandError(missing.message, returncode=2) from None

    def handle_export(self, options):
        survey = self._survey(options["survey_id"])
        try:
            from kesheng.surveys.exports import export_responses
        except ImportError:
            raise CommandError(
                _("exporting responses is not available in this installation"), returncode=2
            ) from None
        try:
            count = export_responses(
                survey=survey, format=options["format"], path=options["output"]
            )
        except (ValueError, DomainError, OSError) as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(
            _("Wrote %(count)s responses to %(path)s") % {"count": count, "path": options["output"]}
        )

    def handle_export_definition(self, options):
        survey = self._survey(options["survey_id"])
        exported = export_surveyjs(survey.current_version.definition)
        try:
            Path(options["output"]).write_text(
                json.dumps(exported, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        except OSError as error:
            raise CommandError(
                _("cannot write %(path)s: %(reason)s")
                % {"path": options["output"], "reason": error.strerror or error},
                returncode=2,
            ) from None
        self.stdout.write(
            _("Wrote the definition of '%(title)s' as SurveyJS JSON to %(path)s")
            % {"title": survey.title, "path": options["output"]}
        )

    def handle_list(self, options):
        rows = [
            {
                "id": survey.pk,
                "title": survey.title,
                "status": survey.status,
                "template": survey.template_key or None,
                "version": survey.current_version.number if survey.current_version else None,
                "completed_responses": survey.completed_count,
                "created_at": survey.created_at.isoformat(),
            }
            for survey in list_surveys()
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write(_("No surveys yet. Import one with: kesheng survey import FILE"))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']}  {row['title']}  [{row['status']}]  v{row['version']}  "
                + _("%(count)d completed") % {"count": row["completed_responses"]}
            )

    def handle_templates(self, options):
        language = "en" if (get_language() or "").startswith("en") else "zh-hans"
        templates = list_templates()
        if options["json"]:
            rows = [
                {
                    "key": template.key,
                    "title": template.title,
                    "description": template.description,
                    "questions": _question_names(template.build()),
                }
                for template in templates
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for template in templates:
            self.stdout.write(
                f"{template.key}  {template.title_in(language)}  "
                f"- {template.description.get(language) or template.description['zh-hans']}"
            )

    def handle_create_from_template(self, options):
        try:
            survey = create_survey_from_template(key=options["key"], title=options["title"])
        except DomainError as error:
            raise CommandError(error.message, returncode=2) from None
        self.stdout.write(
            _("Created '%(title)s' from the template %(key)s.")
            % {"title": survey.title, "key": options["key"]}
        )
        self.stdout.write(str(survey.pk))
