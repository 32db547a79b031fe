"""The in-process scheduler of embedded mode: due entries run once, in one process, and a job
that fails does not stop the others. Time is a fake clock; nothing sleeps."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command

from kesheng.core.models import ScheduledJob
from kesheng.core.scheduler import Scheduler

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai


class FakeClock:
    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class Recorder:
    def __init__(self, failing=()):
        self.calls = []
        self.failing = set(failing)

    def __call__(self, task, args, kwargs):
        self.calls.append((task, args, kwargs))
        if task in self.failing:
            raise RuntimeError(f"{task} broke")


SCHEDULE = {
    "often": {"task": "tests.often", "schedule": 300.0},
    "hourly": {"task": "tests.hourly", "schedule": timedelta(hours=1), "kwargs": {"limit": 5}},
}


@pytest.fixture
def clock():
    return FakeClock()


def scheduler(schedule, clock, runner, owner="one"):
    return Scheduler(schedule, clock=clock, run_task=runner, owner=owner)


@pytest.mark.django_db
def test_an_interval_job_runs_at_the_first_check_then_once_per_interval(clock):
    runner = Recorder()
    first = scheduler(SCHEDULE, clock, runner)
    assert first.run_due() == ["often", "hourly"]
    assert runner.calls == [("tests.often", (), {}), ("tests.hourly", (), {"limit": 5})]
    clock.advance(seconds=299)
    assert first.run_due() == []
    assert first.wait_seconds == 1.0
    clock.advance(seconds=1)
    assert first.run_due() == ["often"]
    clock.advance(minutes=55)
    assert first.run_due() == ["often", "hourly"]
    job = ScheduledJob.objects.get(name="often")
    assert (job.run_count, job.last_run_at, job.lease_owner, job.lease_expires_at) == (
        3, START + timedelta(minutes=60), "", None,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_job_not_due_is_skipped_and_the_next_check_is_when_it_falls_due(clock):
    runner = Recorder()
    first = scheduler({"often": SCHEDULE["often"]}, clock, runner)
    first.run_due()
    clock.advance(seconds=280)
    assert first.run_due() == []
    assert first.wait_seconds == 20.0
    assert len(runner.calls) == 1


@pytest.mark.django_db
def test_a_restart_does_not_rerun_what_already_ran(clock):
    runner = Recorder()
    scheduler(SCHEDULE, clock, runner, owner="before").run_due()
    clock.advance(seconds=10)
    assert scheduler(SCHEDULE, clock, runner, owner="after").run_due() == []
    assert len(runner.calls) == 2


@pytest.mark.django_db
def test_a_crontab_job_waits_for_its_time_in_the_business_time_zone(clock):
    runner = Recorder()
    nightly = {"nightly": {"task": "tests.nightly", "schedule": crontab(minute=0, hour=3)}}
    first = scheduler(nightly, clock, runner)
    assert first.run_due() == []  # 09:00 Shanghai: the next 03:00 is tomorrow
    clock.now = datetime(2026, 3, 2, 18, 59, 30, tzinfo=UTC)  # 02:59:30 Shanghai
    assert first.run_due() == []
    assert first.wait_seconds == 30.0
    clock.now = datetime(2026, 3, 2, 19, 0, 5, tzinfo=UTC)  # 03:00:05 Shanghai
    assert first.run_due() == ["nightly"]
    clock.advance(hours=1)
    assert first.run_due() == []
    clock.now = datetime(2026, 3, 3, 19, 0, 0, tzinfo=UTC)
    assert first.run_due() == ["nightly"]
    assert [call[0] for call in runner.calls] == ["tests.nightly", "tests.nightly"]


@pytest.mark.django_db
def test_two_schedulers_on_one_database_run_a_due_job_once(clock):
    runner = Recorder()
    first = scheduler(SCHEDULE, clock, runner, owner="process-1")
    second = scheduler(SCHEDULE, clock, runner, owner="process-2")
    assert first.run_due() == ["often", "hourly"]
    assert second.run_due() == []
    clock.advance(minutes=5)
    assert second.run_due() == ["often"]
    assert first.run_due() == []
    assert [call[0] for call in runner.calls] == ["tests.often", "tests.hourly", "tests.often"]


@pytest.mark.django_db
def test_a_job_leased_by_a_process_still_running_it_is_not_started_again(clock):
    from kesheng.core.actions import claim_scheduled_job, register_scheduled_job

    register_scheduled_job(name="often", last_run_at=None)
    assert claim_scheduled_job(
        name="often", seen_last_run_at=None, now=START, lease_seconds=3600, owner="busy"
    )
    runner = Recorder()
    other = scheduler({"often": SCHEDULE["often"]}, clock, runner, owner="other")
    clock.advance(minutes=10)  # due again, but "busy" has not finished
    assert other.run_due() == []
    clock.advance(minutes=51)  # the lease ran out: "busy" is presumed dead
    assert other.run_due() == ["often"]
    assert len(runner.calls) == 1


@pytest.mark.django_db
def test_a_claim_of_a_run_another_process_took_first_fails():
    from kesheng.core.actions import claim_scheduled_job, register_scheduled_job

    register_scheduled_job(name="often", last_run_at=START)
    later = START + timedelta(minutes=5)
    arguments = {"name": "often", "seen_last_run_at": START, "now": later, "lease_seconds": 1}
    assert claim_scheduled_job(**arguments, owner="a") is True
    assert claim_scheduled_job(**arguments, owner="b") is False
    assert ScheduledJob.objects.get(name="often").lease_owner == "a"


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_the_others_go_on(clock, caplog):
    runner = Recorder(failing={"tests.often"})
    first = scheduler(SCHEDULE, clock, runner)
    with caplog.at_level("ERROR", logger="kesheng.scheduler"):
        assert first.run_due() == ["often", "hourly"]
    assert "scheduled job often (tests.often) failed" in caplog.text
    job = ScheduledJob.objects.get(name="often")
    assert (job.last_error, job.lease_owner, job.run_count) == (
        "RuntimeError: tests.often broke", "", 1,
    )  # fmt: skip
    clock.advance(minutes=5)
    runner.failing.clear()
    assert first.run_due() == ["often"]
    assert ScheduledJob.objects.get(name="often").last_error == ""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_run_forever_keeps_going_after_a_failure_and_stops_when_asked(clock):
    calls = []
    stop = threading.Event()

    def runner(task, args, kwargs):
        calls.append(task)
        clock.advance(minutes=5)  # the next check finds the job due again
        if len(calls) == 1:
            raise RuntimeError("first run broke")
        stop.set()

    first = Scheduler(
        {"often": SCHEDULE["often"]}, clock=clock, run_task=runner, longest_wait_seconds=0.01
    )
    thread = threading.Thread(target=first.run_forever, args=(stop,), daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert calls == ["tests.often", "tests.often"]


@pytest.mark.django_db
def test_the_scheduler_runs_every_entry_of_the_beat_schedule_by_default(clock):
    runner = Recorder()
    default = Scheduler(clock=clock, run_task=runner, owner="serve")
    assert [entry.name for entry in default.entries] == list(settings.CELERY_BEAT_SCHEDULE)
    assert default.run_due() == list(settings.CELERY_BEAT_SCHEDULE)
    assert [call[0] for call in runner.calls] == [
        spec["task"] for spec in settings.CELERY_BEAT_SCHEDULE.values()
    ]


@pytest.mark.django_db
def test_the_default_runner_calls_the_celery_task_in_process():
    from kesheng.core.scheduler import run_task_in_process

    assert run_task_in_process("kesheng.core.ping", ("hello",), {}) == "hello"
    with pytest.raises(KeyError):
        run_task_in_process("kesheng.nosuch", (), {})


def test_an_entry_without_a_task_is_refused(clock):
    with pytest.raises(ValueError, match="CELERY_BEAT_SCHEDULE\\['bad'\\] needs a task"):
        Scheduler({"bad": {"schedule": 60}}, clock=clock)


@pytest.mark.django_db
def test_scheduler_command_once_runs_the_due_jobs(monkeypatch, capsys):
    import functools

    from kesheng.core.management.commands import scheduler as command

    runner = Recorder()
    monkeypatch.setattr(settings, "CELERY_BEAT_SCHEDULE", {"often": SCHEDULE["often"]})
    monkeypatch.setattr(
        command, "Scheduler", functools.partial(Scheduler, clock=FakeClock(), run_task=runner)
    )
    call_command("scheduler", "--once", "--json")
    assert capsys.readouterr().out.strip() == '{"ran": ["often"]}'
    call_command("scheduler", "--once", "--json")
    assert capsys.readouterr().out.strip() == '{"ran": []}'


def test_scheduler_command_refuses_when_celery_beat_runs_the_jobs(monkeypatch):
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(CommandError) as refused:
        call_command("scheduler", "--once")
    assert refused.value.returncode == 2


@pytest.mark.django_db
def test_every_job_of_the_real_schedule_runs_in_process_without_error(clock):
    ran = Scheduler(clock=clock, owner="serve").run_due()
    assert ran == list(settings.CELERY_BEAT_SCHEDULE)
    jobs = ScheduledJob.objects.order_by("name")
    assert [(job.name, job.run_count, job.last_error) for job in jobs] == [
        (name, 1, "") for name in sorted(settings.CELERY_BEAT_SCHEDULE)
    ]


@pytest.mark.django_db
def test_the_scheduler_sends_an_invitation_whose_delay_has_passed(make_customer):
    """The gap this scheduler closes: in embedded mode a delayed invitation used to wait for a
    beat that never ran."""
    from django.utils import timezone

    from kesheng.surveys.actions.distribution import create_distribution, create_invitations
    from kesheng.surveys.actions.surveys import create_survey
    from kesheng.surveys.models import Invitation
    from tests.surveys.test_distribution import DEFINITION

    survey = create_survey(title="S", definition=DEFINITION, slug="s", status="open")
    by_email = create_distribution(survey=survey, kind="email")
    customer = make_customer("T1", email="t1@example.com", consents={"email:surveys": True})
    create_invitations(
        distribution=by_email,
        customer_pks=[customer.pk],
        send_after=timezone.now() - timedelta(minutes=1),
    )
    assert Invitation.objects.get().status == "pending"
    schedule = {
        name: spec
        for name, spec in settings.CELERY_BEAT_SCHEDULE.items()
        if spec["task"] == "kesheng.surveys.send_due_invitations"
    }
    assert Scheduler(schedule, owner="serve").run_due() == list(schedule)
    assert Invitation.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_long_job_keeps_renewing_its_lease_while_it_runs(clock):
    seen = []

    def slow_job(task, args, kwargs):
        clock.advance(minutes=30)  # far past the first lease
        deadline = time.monotonic() + 2
        renewed_to = START + timedelta(minutes=32)
        while time.monotonic() < deadline:  # wait for a heartbeat, up to 2 s on a busy machine
            lease = ScheduledJob.objects.get(name="often").lease_expires_at
            if lease == renewed_to:
                break
            time.sleep(0.02)
        seen.append(lease)
        other = Scheduler(
            {"often": SCHEDULE["often"]}, clock=clock, run_task=Recorder(), owner="other"
        )
        clock.advance(minutes=1)  # due again, but still leased
        seen.append(other.run_due())

    first = Scheduler(
        {"often": SCHEDULE["often"]},
        clock=clock,
        run_task=slow_job,
        owner="first",
        lease_seconds=120,
        heartbeat_seconds=0.05,
    )
    assert first.run_due() == ["often"]
    assert seen == [START + timedelta(minutes=32), []]
    job = ScheduledJob.objects.get(name="often")
    assert (job.lease_owner, job.lease_expires_at, job.run_count) == ("", None, 1)
