"""The admin forms of teams and reply templates refuse bad hours, categories and placeholders."""

from kesheng.cases.admin import ReplyTemplateForm, TeamForm


def test_a_reply_template_with_an_unknown_placeholder_is_refused(db):
    form = ReplyTemplateForm(
        data={"key": "sorry", "name": "Sorry", "subject": "#{case_number}", "body": "Hi {nom}"}
    )
    assert not form.is_valid()
    assert form.errors["body"] == [
        "unknown placeholder {nom}; known: {customer_name}, {case_number}, {store}, "
        "{agent_name}, {category}"
    ]
    good = ReplyTemplateForm(
        data={"key": "sorry", "name": "Sorry", "subject": "", "body": "{customer_name}您好"}
    )
    assert good.is_valid(), good.errors


def test_a_team_with_bad_hours_or_categories_is_refused(db):
    form = TeamForm(
        data={
            "name": "T",
            "categories": '["delivery", "weather"]',
            "max_open_cases_per_agent": 5,
            "business_hours": '{"mon": [["9:00", "12:00"]]}',
            "holidays": "[]",
            "make_up_days": "[]",
        }
    )
    assert not form.is_valid()
    assert form.errors["business_hours"] == [
        "business_hours.mon[0]: '9:00' is not a time like 09:00"
    ]
    assert form.errors["categories"][0].startswith("must be a list of case categories: detractor")
