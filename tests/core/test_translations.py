"""The translation catalogues are complete and compiled, and the staff pages use them.

The compiled ``.mo`` files are committed so a fresh machine needs no GNU gettext; these tests
catch a ``.po`` edited or regenerated without compiling, and a Chinese entry left empty or fuzzy.
File times are not compared (a git checkout sets them arbitrarily); the contents are.
"""

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests.staff_fixtures import build_customer_with_history, create_staff_user

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
LOCALES = ["zh_Hans", "en"]
CONTEXT_SEPARATOR = "\x04"


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def read_po(path: Path) -> list[PoEntry]:
    """The live (not obsolete) entries of a PO file, header included, strings unescaped."""
    entries: list[PoEntry] = []
    entry = PoEntry()
    current: tuple[str, int] | None = None
    seen_keyword = False

    def finish() -> None:
        nonlocal entry, current, seen_keyword
        if seen_keyword:
            entries.append(entry)
        entry, current, seen_keyword = PoEntry(), None, False

    def append(target: tuple[str, int], text: str) -> None:
        name, index = target
        if name == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
        else:
            setattr(entry, name, (getattr(entry, name) or "") + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert current is not None, f"{path}:{number}: a string with no keyword"
            append(current, ast.literal_eval(line))
        else:
            keyword, _, rest = line.partition(" ")
            if not seen_keyword:
                entry.line = number
            seen_keyword = True
            if keyword.startswith("msgstr["):
                current = ("msgstr", int(keyword[7:-1]))
            elif keyword == "msgstr":
                current = ("msgstr", 0)
            else:
                assert keyword in {"msgid", "msgid_plural", "msgctxt"}, f"{path}:{number}"
                current = (keyword, 0)
                setattr(entry, keyword, "")
            append(current, ast.literal_eval(rest))
    finish()
    return entries


def compiled_catalog(entries: list[PoEntry]) -> dict:
    """What msgfmt puts in the .mo, keyed the way gettext.GNUTranslations loads it:
    translated entries only (fuzzy and empty ones are left out), contexts joined by EOT."""
    catalog: dict = {}
    for entry in entries:
        if "fuzzy" in entry.flags and entry.msgid:
            continue
        key = entry.msgid
        if entry.msgctxt is not None:
            key = f"{entry.msgctxt}{CONTEXT_SEPARATOR}{entry.msgid}"
        if entry.msgid_plural is None:
            if key == "":
                # msgfmt drops the template's creation date from the compiled header.
                lines = entry.msgstr.get(0, "").splitlines(keepends=True)
                text = "".join(line for line in lines if not line.startswith("POT-Creation-Date:"))
                catalog[key] = text
            elif entry.msgstr.get(0):
                catalog[key] = entry.msgstr[0]
        elif any(entry.msgstr.values()):
            for index, text in entry.msgstr.items():
                catalog[(key, index)] = text
    return catalog


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"


def _where(path: Path, entry: PoEntry) -> str:
    return f"{path.name}:{entry.line} {entry.msgid!r}"


def test_chinese_catalogue_has_no_untranslated_or_fuzzy_entry():
    path = po_path("zh_Hans")
    problems = []
    for entry in read_po(path):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {_where(path, entry)}")
        elif entry.msgid and (not entry.msgstr or not all(entry.msgstr.values())):
            problems.append(f"untranslated: {_where(path, entry)}")
    assert problems == []


def test_both_catalogues_hold_the_same_messages():
    def keys(locale: str) -> set:
        return {(e.msgctxt, e.msgid, e.msgid_plural) for e in read_po(po_path(locale))}

    assert keys("zh_Hans") ^ keys("en") == set()


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_its_po_file(locale):
    path = po_path(locale)
    with path.with_suffix(".mo").open("rb") as compiled:
        loaded = gettext.GNUTranslations(compiled)
    expected = compiled_catalog(read_po(path))
    actual = dict(loaded._catalog)
    # GNUTranslations answers a missing plural form itself; compare what the file holds.
    stale = {key for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key)}
    assert sorted(map(str, stale)) == [], (
        f"{path.with_suffix('.mo')} differs from {path.name}: run 'make messages' "
        "(or 'kesheng compilemessages' in kesheng/) and commit the .mo"
    )


@pytest.fixture
def restore_language():
    language = translation.get_language()
    yield
    translation.activate(language)


def test_customer_list_is_in_chinese_by_default_and_in_english_after_switching(
    client, db, restore_language
):
    build_customer_with_history("C001")
    client.force_login(create_staff_user())
    chinese = client.get("/customers/").content.decode()
    assert '<html lang="zh-hans">' in chinese
    for text in ["客户", "触点地图", "退出登录", "搜索", "全部城市", "共 1 位客户", "订单数"]:
        assert text in chinese, text

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    assert switched.status_code == 302
    assert switched.url == "/customers/"
    english = client.get("/customers/").content.decode()
    assert '<html lang="en">' in english
    for text in ["Customers", "Touchpoint map", "Log out", "All cities", "1 customer", "Orders"]:
        assert text in english, text
    for text in ["搜索", "触点地图", "退出登录"]:
        assert text not in english, text


def test_customer_360_labels_follow_the_language(client, db, restore_language):
    build_customer_with_history("C001")
    client.force_login(create_staff_user())
    chinese = client.get("/customers/C001/").content.decode()
    assert "时间线" in chinese
    assert "使用与服务" in chinese
    assert "微信客服" in chinese
    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/C001/"})
    english = client.get("/customers/C001/").content.decode()
    assert "Timeline" in english
    assert "Use and service" in english
    assert "WeChat customer service" in english


def test_gender_filter_is_capitalised_in_english_and_chinese_by_default(client, db):
    client.force_login(create_staff_user())
    chinese = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<option value="female">女</option>' in chinese
    english = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for value, label in [("female", "Female"), ("male", "Male"), ("other", "Other")]:
        assert f'<option value="{value}">{label}</option>' in english


def test_survey_staff_pages_follow_the_language(client, db):
    from tests.surveys.results_fixtures import add_completed_response, make_sample_survey

    survey = make_sample_survey()
    response = add_completed_response(survey, {"nps": 9}, language="en")
    client.force_login(create_staff_user("cx.li", role="cx_manager"))
    pages = [f"/surveys/{survey.pk}/", f"/surveys/{survey.pk}/responses/{response.pk}/"]
    chinese = "".join(client.get(page).content.decode() for page in pages)
    for text in ["编辑器", "预览", "结果", "答卷", "添加一页", "单选题", "语言", "英语"]:
        assert text in chinese, text
    english = "".join(
        client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode() for page in pages
    )
    for text in ["Editor", "Preview", "Results", "Responses", "Add a page", "Single choice"]:
        assert text in english, text
    for text in ["编辑器", "添加一页", "单选题", "英语"]:
        assert text not in english, text


def test_respondent_page_speaks_the_language_asked_for(client, db):
    from tests.surveys.results_fixtures import make_sample_survey

    survey = make_sample_survey()
    chinese = client.get(f"/s/{survey.slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "推荐可能性" in chinese
    assert "必答" in chinese
    english = client.get(f"/s/{survey.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Likelihood to recommend" in english
    assert "required" in english
    assert "必答" not in english
