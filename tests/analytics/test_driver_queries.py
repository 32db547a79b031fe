"""Key drivers and importance-performance on an X-VOC survey's answers in the database."""

import numpy as np
import pytest

from kesheng.analytics.drivers import DriverAnalysisError
from kesheng.analytics.queries import (
    DriverQuestionError,
    MetricFilters,
    compute_drivers,
    compute_importance_performance,
    list_driver_candidates,
)
from kesheng.surveys.actions.templates import create_survey_from_template
from kesheng.surveys.exports import iter_definition_questions
from kesheng.surveys.models import SurveyStatus
from tests.surveys.results_fixtures import add_completed_response


@pytest.fixture
def call_centre(db):
    """60 answers to the X-VOC call-centre survey where overall satisfaction follows the first
    two sub-processes (S1 strongly, S2 less) and ignores the rest; importance is stated high
    for S1 and S2 and low for the others, satisfaction with S1 is low."""
    survey = create_survey_from_template(key="xvoc_call_centre")
    survey.status = SurveyStatus.OPEN
    survey.save(update_fields=["status"])
    questions = {
        question["name"]: question
        for question in iter_definition_questions(survey.current_version.definition)
    }
    rows = [row["value"] for row in questions["satisfaction"]["rows"]]
    rng = np.random.default_rng(4)
    for _ in range(60):
        satisfaction = {row: int(rng.integers(1, 11)) for row in rows}
        satisfaction[rows[0]] = int(rng.integers(1, 6))
        importance = {row: 3 for row in rows} | {rows[0]: 9, rows[1]: 8}
        overall = 1.2 * satisfaction[rows[0]] + 0.4 * satisfaction[rows[1]] + rng.normal(0, 0.5)
        answers = {
            "importance": importance,
            "satisfaction": satisfaction,
            "overall_satisfaction": int(np.clip(round(overall), 1, 10)),
        }
        add_completed_response(survey, answers)
    survey.rows = rows
    return survey


def test_the_driving_sub_processes_come_first(call_centre):
    analysis, labels = compute_drivers(
        survey_id=call_centre.pk, outcome="overall_satisfaction", items="satisfaction"
    )
    first, second = call_centre.rows[:2]
    assert analysis.method == "relative_weights"  # 18 items
    assert analysis.n == 60
    assert [driver.name for driver in analysis.drivers[:2]] == [
        f"satisfaction.{first}",
        f"satisfaction.{second}",
    ]
    assert sum(driver.share for driver in analysis.drivers) == pytest.approx(100)
    assert labels[f"satisfaction.{first}"]  # the sub-process's name


def test_importance_performance_places_the_weak_important_step_in_concentrate_here(call_centre):
    report = compute_importance_performance(survey_id=call_centre.pk)
    quadrants = {item.name: item.quadrant for item in report.result.items}
    assert quadrants[call_centre.rows[0]] == "concentrate_here"
    assert quadrants[call_centre.rows[1]] in {"keep_up_the_good_work", "concentrate_here"}
    assert quadrants[call_centre.rows[5]] in {"low_priority", "possible_overkill"}
    assert report.counts[call_centre.rows[0]] == 60


def test_candidates_list_outcomes_and_matrices(call_centre):
    candidates = list_driver_candidates(call_centre.pk)
    assert "overall_satisfaction" in dict(candidates.outcomes)
    assert set(dict(candidates.matrices)) == {"importance", "satisfaction"}


def test_a_question_of_the_wrong_kind_is_refused(call_centre):
    with pytest.raises(DriverQuestionError) as refused:
        compute_drivers(survey_id=call_centre.pk, outcome="best_provider", items="satisfaction")
    assert refused.value.errors[0].field == "outcome"


def test_too_few_answers_in_the_filter_are_refused_with_a_reason(call_centre):
    with pytest.raises(DriverAnalysisError, match="too few"):
        compute_drivers(
            survey_id=call_centre.pk,
            outcome="overall_satisfaction",
            items="satisfaction",
            filters=MetricFilters(store_codes=("nowhere",)),
        )
