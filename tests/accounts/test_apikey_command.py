import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesheng.accounts.models import ApiKey
from kesheng.accounts.queries import authenticate_api_key


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def run(*arguments: str) -> list[str]:
    from io import StringIO

    output = StringIO()
    call_command("apikey", *arguments, stdout=output)
    return output.getvalue().splitlines()


def test_create_prints_the_key_alone_on_the_last_line(db):
    lines = run("create", "--name", "web shop", "--scopes", "events:write,customers:read")
    key = lines[-1]
    stored = authenticate_api_key(key)
    assert stored is not None
    assert stored.name == "web shop"
    assert stored.scopes == ["events:write", "customers:read"]
    assert key == key.strip() and " " not in key
    assert f"ks_{stored.prefix}" in lines[0]
    assert key not in "\n".join(lines[:-1])


def test_create_with_an_unknown_scope_exits_2_and_creates_nothing(db):
    with pytest.raises(CommandError) as refused:
        run("create", "--name", "web shop", "--scopes", "events:write,events:erase")
    assert refused.value.returncode == 2
    assert "unknown scope events:erase" in str(refused.value)
    assert ApiKey.objects.count() == 0


def test_list_shows_prefixes_and_never_secrets(db):
    key = run("create", "--name", "pos", "--scopes", "orders:write")[-1]
    lines = run("list")
    assert len(lines) == 1
    assert lines[0].startswith(key.rsplit("_", 1)[0][: len("ks_") + 8])
    assert "pos" in lines[0]
    assert "[orders:write]" in lines[0]
    assert key.split("_", 2)[2] not in lines[0]


def test_list_as_json(db):
    run("create", "--name", "pos", "--scopes", "orders:write")
    rows = json.loads("\n".join(run("list", "--json")))
    stored = ApiKey.objects.get()
    assert rows == [
        {
            "prefix": f"ks_{stored.prefix}",
            "name": "pos",
            "scopes": ["orders:write"],
            "created_at": stored.created_at.isoformat(),
            "last_used_at": None,
            "revoked_at": None,
        }
    ]


def test_revoke_by_prefix(db):
    key = run("create", "--name", "pos", "--scopes", "orders:write")[-1]
    prefix = ApiKey.objects.get().prefix
    lines = run("revoke", f"ks_{prefix}")
    assert lines == [f"Revoked API key pos (ks_{prefix})."]
    assert authenticate_api_key(key) is None


def test_revoke_of_an_unknown_prefix_exits_2(db):
    with pytest.raises(CommandError) as refused:
        run("revoke", "ks_00000000")
    assert refused.value.returncode == 2


def test_list_is_wholly_in_chinese_when_chinese_is_active(db):
    key = run("create", "--name", "pos", "--scopes", "orders:write")[-1]
    prefix = "_".join(key.split("_")[:2])
    with translation.override("zh-hans"):
        lines = run("list")
    assert lines == [f"{prefix}  pos  [orders:write]  有效  最近使用：从未使用"]
