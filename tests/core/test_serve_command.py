import sys

import pytest
from django.core.management import call_command

from kesheng.core.management.commands import serve


class Replaced(Exception):
    """Stands for exec replacing the process: nothing after it runs."""


def test_production_runs_gunicorn_with_this_interpreter_and_the_workers_asked_for(monkeypatch):
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
        ]
    ]
