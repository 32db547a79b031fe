"""The demo chain's closed loop: cases for the detractors and unhappy CSAT answers of the last
six weeks, opened by the same rule the ``response.completed`` event runs, and worked by the
demo agent the way a team keeps up with them: the newest still new, recent ones acknowledged or
in progress, older ones mostly resolved or closed (some closed ones with the customer's answer
to the handling survey), a few waiting on the customer, in progress for long or reopened
because the customer wrote again, and some past their deadline: every status shows."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from kesheng.cases.actions import (
    acknowledge_case,
    add_case_note,
    change_case_status,
    check_sla_breaches,
    close_case,
    open_cases_for_response,
    reopen_case,
    resolve_case,
)
from kesheng.cases.models import Case, CaseStatus
from kesheng.surveys.models import Response, ResponseStatus

RECENT_DAYS = 45
AGENT = "demo_agent"
REPLY = "您好，非常抱歉给您带来不好的体验。我们已联系门店核实并改进，稍后会再回访您。"
NOTE = "已与门店店长沟通，安排培训并跟进。"
ASK = "您好，麻烦您提供一下购物小票的照片，方便我们核实处理。"
REOPEN_NOTE = "顾客来电表示问题仍未解决，重新处理。"
# What happens to the n-th older case, by n modulo 12 (the rest are resolved).
CLOSED, IN_PROGRESS, WAITING, REOPENED, ACKNOWLEDGED = {1, 6, 9}, {2}, {3}, {4}, {5}


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
    older = 0  # counts the older cases, so that even a small demo shows every status
    for number, case in enumerate(opened):
        age = now - case.opened_at
        if age < timedelta(days=2) or number % 7 == 0:
            continue  # the newest cases, and now and then an older one, wait: some go overdue
        answered = case.opened_at + timedelta(hours=3 + number % 20)
        acknowledge_case(case=case, actor=agent, now=answered)
        add_case_note(case=case, actor=agent, text=REPLY, is_reply=True, now=answered)
        working = answered + timedelta(hours=2)
        if age <= timedelta(days=7):
            if number % 2:
                change_case_status(
                    case=case, status=CaseStatus.IN_PROGRESS, actor=agent, now=working
                )
                add_case_note(case=case, actor=agent, text=NOTE, now=working)
            continue
        _work_older_case(case, older % 12, agent=agent, working=working, number=older)
        older += 1
    check_sla_breaches(now=now)
    return Case.objects.count()


def _work_older_case(case: Case, kind: int, *, agent, working: datetime, number: int) -> None:
    """An older case's story after its first answer (all within its first week)."""
    if kind in ACKNOWLEDGED:
        return  # answered once, then left: it goes past its resolution deadline
    change_case_status(case=case, status=CaseStatus.IN_PROGRESS, actor=agent, now=working)
    add_case_note(case=case, actor=agent, text=NOTE, now=working)
    if kind in IN_PROGRESS:
        return
    if kind in WAITING:
        asked = working + timedelta(hours=1)
        add_case_note(case=case, actor=agent, text=ASK, is_reply=True, now=asked)
        change_case_status(case=case, status=CaseStatus.WAITING_ON_CUSTOMER, actor=agent, now=asked)
        return
    resolved = working + timedelta(days=1 + number % 3)
    # The past is replayed: nobody is told again today.
    resolve_case(case=case, actor=agent, tell_customer=False, now=resolved)
    if kind in REOPENED:
        reopen_case(case=case, actor=agent, note=REOPEN_NOTE, now=resolved + timedelta(days=1))
    elif kind in CLOSED:
        close_case(case=case, actor=agent, now=resolved + timedelta(days=2))
        if number % 24 in (1, 6):
            # The customer's answer to the handling survey (its flow is tested in the cases
            # tests; the demo keeps the answer only).
            Case.objects.filter(pk=case.pk).update(handling_csat=5 if number % 24 == 1 else 4)
