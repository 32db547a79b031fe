import sys

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kesheng.core.management.commands import serve


class Replaced(Exception):
    """Stands for exec replacing the process: nothing after it runs."""


@pytest.mark.parametrize(
    ("redis_url", "scheduler_arguments"),
    [
        ("redis://127.0.0.1:6379/0", []),
        ("", ["--config", "python:kesheng.core.gunicorn_config"]),
    ],
)
def test_production_runs_gunicorn_with_this_interpreter_and_the_workers_asked_for(
    monkeypatch, settings, redis_url, scheduler_arguments
):
    settings.REDIS_URL = redis_url
    started = []

    def execv(path, arguments):
        started.append(arguments)
        raise Replaced

    monkeypatch.setattr(serve.os, "execv", execv)
    with pytest.raises(Replaced):
        call_command(
            "serve", "--production", "--host", "127.0.0.1", "--port", "8123", "--workers", "2"
        )
    assert started == [
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kesheng.wsgi",
            "--bind",
            "127.0.0.1:8123",
            "--workers",
            "2",
            "--access-logfile",
            "-",
            *scheduler_arguments,
        ]
    ]


@pytest.mark.parametrize(
    ("redis_url", "arguments", "starts_scheduler"),
    [
        ("", [], True),
        ("", ["--no-scheduler"], False),
        ("redis://127.0.0.1:6379/0", [], False),
    ],
)
def test_the_development_server_runs_the_periodic_jobs_only_without_a_broker(
    monkeypatch, settings, redis_url, arguments, starts_scheduler
):
    from kesheng.core import scheduler

    settings.REDIS_URL = redis_url
    events = []
    monkeypatch.setattr(scheduler, "start_in_background", lambda: events.append("scheduler"))
    monkeypatch.setattr(serve, "call_command", lambda *_, **__: events.append("server"))
    call_command("serve", *arguments)
    assert events == (["scheduler", "server"] if starts_scheduler else ["server"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--port", "99999"], "--port: 99999 is not a port number (1 to 65535)"),
        (["--port", "0"], "--port: 0 is not a port number (1 to 65535)"),
        (["--port", "http"], "--port: http is not a port number (1 to 65535)"),
        (["--workers", "0"], "--workers: 0 is not a whole number of at least 1"),
    ],
)
def test_a_port_or_worker_count_out_of_range_is_refused_before_serving(
    monkeypatch, arguments, message
):
    monkeypatch.setattr(serve.os, "execv", lambda *_: pytest.fail("gunicorn started"))
    monkeypatch.setattr(serve, "call_command", lambda *_, **__: pytest.fail("server started"))
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("serve", "--production", *arguments)
    assert str(refused.value) == f"Error: argument {message}"


def test_a_bad_port_in_the_environment_is_refused_with_its_value(monkeypatch):
    monkeypatch.setenv("PORT", "80a")
    monkeypatch.setattr(serve, "call_command", lambda *_, **__: pytest.fail("server started"))
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("serve")
    assert str(refused.value) == "Error: argument --port: 80a is not a port number (1 to 65535)"
