"""Every change to a case: open (by hand or by the rules), acknowledge, assign, change status,
note or reply (sent by email or SMS), the SLA check (warnings, breaches, escalation), team
round-robin, and the handling survey after close. Each runs in one transaction under the
case's row lock, writes a ``CaseEvent`` and emits its domain event (``case.opened``,
``case.acknowledged``, ``case.assigned``, ``case.status_changed``, ``case.resolved``,
``case.closed``, ``case.reopened``, ``case.note_added``, ``case.replied``, ``case.warned``,
``case.breached``, ``case.escalated``) after commit.

Split by topic; every public action is importable from ``kesheng.cases.actions``.
"""

from kesheng.cases.actions.common import (
    MAX_NOTE_LENGTH,
    CaseExists,
    check_policy_terms,
    hours_of,
    match_policy,
)
from kesheng.cases.actions.handling import (
    handling_survey,
    record_handling_answer,
    send_handling_survey,
)
from kesheng.cases.actions.merging import merge_cases
from kesheng.cases.actions.opening import (
    open_case,
    open_case_by_hand,
    open_cases_for_feedback,
    open_cases_for_response,
    open_cases_for_social_mentions,
)
from kesheng.cases.actions.replies import reply_to_customer, tell_customer_resolved
from kesheng.cases.actions.sla_checks import check_sla_breaches, warn_before_deadlines
from kesheng.cases.actions.teams import choose_agent, set_agent_away, team_for
from kesheng.cases.actions.working import (
    acknowledge_case,
    add_case_note,
    assign_case,
    change_case_status,
    change_case_urgency,
    close_case,
    reopen_case,
    resolve_case,
)

__all__ = [
    "MAX_NOTE_LENGTH",
    "CaseExists",
    "acknowledge_case",
    "add_case_note",
    "assign_case",
    "change_case_status",
    "change_case_urgency",
    "check_policy_terms",
    "check_sla_breaches",
    "choose_agent",
    "close_case",
    "handling_survey",
    "hours_of",
    "match_policy",
    "merge_cases",
    "open_case",
    "open_case_by_hand",
    "open_cases_for_feedback",
    "open_cases_for_response",
    "open_cases_for_social_mentions",
    "record_handling_answer",
    "reopen_case",
    "reply_to_customer",
    "resolve_case",
    "send_handling_survey",
    "set_agent_away",
    "team_for",
    "tell_customer_resolved",
    "warn_before_deadlines",
]
