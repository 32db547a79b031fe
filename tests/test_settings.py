"""Settings come from the environment only; production refuses to start half-configured."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "kesheng" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list"}
PRODUCTION_ENV = {
    "KESHENG_ENV": "production",
    "SECRET_KEY": "a-test-secret-that-is-long-enough-0123456789abcdefghijklmnop",
    "DATABASE_URL": "postgres://kesheng@127.0.0.1:5432/kesheng",
    "ALLOWED_HOSTS": "cx.example.com",
}


def settings_read_from_environment() -> set[str]:
    """Every variable name settings.py passes to an env_* helper or os.environ.get."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        function = node.func
        is_reader = isinstance(function, ast.Name) and function.id in ENV_READERS
        is_environ_get = (
            isinstance(function, ast.Attribute)
            and function.attr == "get"
            and isinstance(function.value, ast.Attribute)
            and function.value.attr == "environ"
        )
        first = node.args[0]
        if (is_reader or is_environ_get) and isinstance(first, ast.Constant):
            names.add(first.value)
    return names


def test_env_example_lists_every_setting_read_from_the_environment():
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
    read = settings_read_from_environment()
    assert "SECRET_KEY" in read
    assert read - documented == set()


def start_django(environment: dict[str, str]) -> subprocess.CompletedProcess:
    """``django.setup()`` in a fresh interpreter with exactly this environment (plus PATH), so
    neither the test run's settings nor a developer's .env file leak in."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "kesheng.settings",
        "KESHENG_ENV_FILE": str(ROOT / "tests" / "no-such.env"),
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_with_every_required_setting_starts():
    started = start_django(PRODUCTION_ENV)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "started"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"])
def test_production_without_a_required_setting_stops_naming_it(missing):
    environment = {name: value for name, value in PRODUCTION_ENV.items() if name != missing}
    started = start_django(environment)
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert f"The setting {missing} is required when KESHENG_ENV=production" in started.stderr
    assert "started" not in started.stdout


def test_production_with_an_empty_required_setting_stops_naming_it():
    started = start_django({**PRODUCTION_ENV, "SECRET_KEY": ""})
    assert started.returncode != 0
    assert "The setting SECRET_KEY is required" in started.stderr


def test_development_needs_no_setting_at_all(tmp_path):
    started = start_django({"KESHENG_VAR_DIR": str(tmp_path)})
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "The setting DEBUG must be true or false, not 'maybe'"),
        ("KESHENG_ENV", "staging", "KESHENG_ENV must be 'development' or 'production'"),
        ("CELERY_TASK_TIME_LIMIT", "soon", "The setting CELERY_TASK_TIME_LIMIT must be a whole"),
        ("DATABASE_URL", "mysql-ish://nowhere", "The setting DATABASE_URL is not a database URL"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_it(tmp_path, name, value, message):
    started = start_django({"KESHENG_VAR_DIR": str(tmp_path), name: value})
    assert started.returncode != 0
    assert message in started.stderr
