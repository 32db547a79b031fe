from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from kesheng.core.management.commands import worker


@override_settings(REDIS_URL="")
def test_without_redis_url_exits_2_saying_tasks_run_in_process():
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("worker")
    assert raised.value.returncode == 2
    assert "REDIS_URL is not set" in str(raised.value)
    assert "in-process" in str(raised.value)


def test_no_beat_and_beat_only_cannot_be_combined():
    with pytest.raises(CommandError):
        call_command("worker", "--no-beat", "--beat-only")


@pytest.mark.parametrize(
    ("options", "expected_tail"),
    [
        ({}, ["worker", "--loglevel", "INFO", "--beat", "--schedule", "SCHEDULE"]),
        ({"no_beat": True}, ["worker", "--loglevel", "INFO"]),
        ({"beat_only": True}, ["beat", "--loglevel", "INFO", "--schedule", "SCHEDULE"]),
        (
            {"no_beat": True, "concurrency": 4},
            ["worker", "--loglevel", "INFO", "--concurrency", "4"],
        ),
    ],
)
def test_with_redis_url_starts_celery_in_the_requested_shape(
    monkeypatch, tmp_path, options, expected_tail
):
    started = []
    monkeypatch.setattr(worker.os, "execv", lambda path, arguments: started.append(arguments))
    with override_settings(REDIS_URL="redis://:secret@127.0.0.1:6379/0", VAR_DIR=Path(tmp_path)):
        call_command("worker", **options)
    schedule = str(tmp_path / "celerybeat-schedule")
    assert started[0][1:5] == ["-m", "celery", "--app", "kesheng.celery"]
    assert started[0][5:] == [schedule if part == "SCHEDULE" else part for part in expected_tail]


def test_start_up_line_hides_the_broker_password(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(worker.os, "execv", lambda path, arguments: None)
    with override_settings(REDIS_URL="redis://:secret@10.0.0.5:6379/0", VAR_DIR=Path(tmp_path)):
        call_command("worker", "--no-beat")
    output = capsys.readouterr().out
    assert "secret" not in output
    assert "redis://***@10.0.0.5:6379/0" in output
