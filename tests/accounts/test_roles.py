from django.contrib.auth.models import Group

from tests.staff_fixtures import create_staff_user


def _codenames(group_name: str) -> set[str]:
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_every_role_group_exists(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "admin",
        "analyst",
        "cx_manager",
        "agent",
        "store_manager",
    }


def test_analyst_may_view_everything_about_customers_but_change_nothing_except_segments(db):
    codenames = _codenames("analyst")
    assert {"view_customer", "view_event", "view_order", "view_touchpoint"} <= codenames
    # A win-back list is made with its segment.
    assert {name for name in codenames if not name.startswith("view_")} == {
        "add_segment",
        "change_segment",
        "delete_segment",
        "add_winbacklist",
    }


def test_segments_are_built_by_admin_cx_manager_and_analyst_and_seen_by_all(db):
    build = {"view_segment", "add_segment", "change_segment", "delete_segment"}
    for role in ["admin", "cx_manager", "analyst"]:
        assert build <= _codenames(role), role
    for role in ["agent", "store_manager"]:
        assert {name for name in _codenames(role) if name.endswith("_segment")} == {
            "view_segment"
        }, role


def test_agent_may_update_a_customer_their_consent_feedback_and_cases_only(db):
    changes = {name for name in _codenames("agent") if not name.startswith("view_")}
    # A feedback item's analysis is corrected by the agents who read the inbox; agents open
    # and work cases.
    assert changes == {
        "change_customer",
        "change_consent",
        "change_feedbackitem",
        "add_feedbackcorrection",
        "add_case",
        "change_case",
    }


def test_agents_and_cx_managers_correct_feedback_and_every_role_reads_corrections(db):
    for role in ["admin", "cx_manager", "agent"]:
        assert {"view_feedbackcorrection", "add_feedbackcorrection"} <= _codenames(role), role
    for role in ["analyst", "store_manager"]:
        assert {name for name in _codenames(role) if name.endswith("_feedbackcorrection")} == {
            "view_feedbackcorrection"
        }, role
    assert "view_categorymodel" in _codenames("admin")


def test_cases_are_worked_by_agents_managers_and_read_by_analysts(db):
    for role in ["admin", "cx_manager", "agent", "store_manager"]:
        assert {"view_case", "add_case", "change_case"} <= _codenames(role), role
    assert {name for name in _codenames("analyst") if name.endswith("_case")} == {"view_case"}
    assert {name for name in _codenames("store_manager") if name.endswith("slapolicy")} == set()
    assert "change_slapolicy" in _codenames("cx_manager")


def test_teams_and_reply_templates_are_managed_by_cx_managers_and_seen_by_agents(db):
    for model in ("team", "agentavailability", "replytemplate"):
        assert {f"add_{model}", f"change_{model}", f"delete_{model}"} <= _codenames("cx_manager")
    assert {"view_team", "view_replytemplate"} <= _codenames("agent")
    assert {name for name in _codenames("agent") if name.endswith("team")} == {"view_team"}


def test_cx_manager_may_place_touchpoints_on_the_journey(db):
    assert {"change_touchpoint", "add_touchpoint", "change_channel"} <= _codenames("cx_manager")


def test_only_admin_sees_api_keys_and_the_audit_log(db):
    for role in ["analyst", "cx_manager", "agent", "store_manager"]:
        assert not {"view_apikey", "view_auditentry"} & _codenames(role), role
    assert {"view_apikey", "change_apikey", "view_auditentry"} <= _codenames("admin")


def test_each_role_may_open_the_customer_pages(db):
    for role in ["admin", "analyst", "cx_manager", "agent", "store_manager"]:
        user = create_staff_user(f"user-{role}", role=role)
        assert user.has_perm("customers.view_customer"), role
        assert user.has_perm("tracking.view_touchpoint"), role


def test_the_referral_funnel_is_seen_by_admin_cx_manager_and_analyst(db):
    for role in ["admin", "cx_manager", "analyst"]:
        assert "view_referral" in _codenames(role), role
    for role in ["agent", "store_manager"]:
        assert "view_referral" not in _codenames(role), role


def test_every_role_sees_customer_analytics_and_segment_builders_make_win_back_lists(db):
    for role in ["admin", "analyst", "cx_manager", "agent", "store_manager"]:
        assert "view_customerscore" in _codenames(role), role
    for role in ["admin", "analyst", "cx_manager"]:
        assert {"view_winbacklist", "add_winbacklist"} <= _codenames(role), role
    assert {name for name in _codenames("store_manager") if name.endswith("winbacklist")} == {
        "view_winbacklist"
    }
    assert {name for name in _codenames("agent") if name.endswith("winbacklist")} == set()


def test_campaigns_are_built_by_admin_and_cx_manager_and_read_by_analysts(db):
    build = {"view_campaign", "add_campaign", "change_campaign"}
    for role in ["admin", "cx_manager"]:
        assert build <= _codenames(role), role
    assert {name for name in _codenames("analyst") if name.endswith("_campaign")} == {
        "view_campaign"
    }
    for role in ["agent", "store_manager"]:
        assert {name for name in _codenames(role) if name.endswith("_campaign")} == set(), role


def test_help_articles_are_written_by_admin_and_cx_manager_and_read_by_every_role(db):
    write = {
        "view_knowledgearticle",
        "add_knowledgearticle",
        "change_knowledgearticle",
        "delete_knowledgearticle",
    }
    for role in ["admin", "cx_manager"]:
        assert write <= _codenames(role), role
    for role in ["agent", "analyst", "store_manager"]:
        assert {name for name in _codenames(role) if name.endswith("knowledgearticle")} == {
            "view_knowledgearticle"
        }, role
