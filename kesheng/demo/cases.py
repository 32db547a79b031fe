"""The demo chain's closed loop: cases for the detractors and unhappy CSAT answers of the last
six weeks, opened by the same rule the ``response.completed`` event runs, and worked by the
demo agent the way a team keeps up with them: older cases answered and resolved, recent ones
acknowledged, the newest still new, and a few past their deadline."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from kesheng.cases.actions import (
    acknowledge_case,
    add_case_note,
    change_case_status,
    check_sla_breaches,
    open_cases_for_response,
    resolve_case,
)
from kesheng.cases.models import Case, CaseStatus
from kesheng.surveys.models import Response, ResponseStatus

RECENT_DAYS = 45
AGENT = "demo_agent"
REPLY = "您好，非常抱歉给您带来不好的体验。我们已联系门店核实并改进，稍后会再回访您。"
NOTE = "已与门店店长沟通，安排培训并跟进。"


def load_demo_cases(*, now: datetime, days: int = RECENT_DAYS) -> int:
    """Open and work the demo's cases unless there are cases already; returns how many cases
    exist afterwards."""
    if Case.objects.exists():
        # Loaded already (or real cases exist): the answers linked into an open case have no
        # case of their own, so running the rule again would open them anew.
        return Case.objects.count()
    recent = Response.objects.filter(
        status=ResponseStatus.COMPLETED,
        completed_at__gte=now - timedelta(days=days),
        completed_at__lte=now,
        customer__isnull=False,
    ).order_by("completed_at")
    for response_id in recent.values_list("pk", flat=True):
        open_cases_for_response({"response_id": response_id})
    agent = get_user_model().objects.filter(username=AGENT).first()
    opened = Case.objects.filter(status=CaseStatus.NEW).order_by("pk")
    for number, case in enumerate(opened):
        age = now - case.opened_at
        if age < timedelta(days=2) or number % 7 == 0:
            continue  # the newest cases, and now and then an older one, wait: some go overdue
        answered = case.opened_at + timedelta(hours=3 + number % 20)
        acknowledge_case(case=case, actor=agent, now=answered)
        add_case_note(case=case, actor=agent, text=REPLY, is_reply=True, now=answered)
        if age > timedelta(days=7):
            working = answered + timedelta(hours=2)
            change_case_status(case=case, status=CaseStatus.IN_PROGRESS, actor=agent, now=working)
            add_case_note(case=case, actor=agent, text=NOTE, now=working)
            # The past is replayed: nobody is told again today.
            resolve_case(
                case=case,
                actor=agent,
                tell_customer=False,
                now=working + timedelta(days=1 + number % 3),
            )
    check_sla_breaches(now=now)
    return Case.objects.count()
