"""The translation catalogs: zh-hans first, English complete (STYLE), compiled and in use.

The .po files are read with the small parser below (no msgfmt or polib needed), so a missing,
fuzzy or placeholder-breaking translation fails here on any machine. How to update the
catalogs: docs, "Translations" (makemessages → translate → compilemessages → this file).
"""

import gettext as gettext_module
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext, pgettext

from applications.enums import ApplicationState, EvaluationKind, Grade
from certificates.enums import CertificateStatus
from ietsportal.accounts.enums import OrganizationType, Role
from ietsportal.errors import InvalidInput

LANGUAGES = ["zh_Hans", "en"]
NPLURALS = {"zh_Hans": 1, "en": 2}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
TEMPLATE_VAR = re.compile(r"\{\{\s*[\w.|:\"']+\s*\}\}")


# ---- a small .po reader -------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)  # the `#:` source locations
    line: int = 0

    @property
    def key(self) -> str:
        """The key gettext uses in a compiled catalog."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    @property
    def label(self) -> str:
        where = f"line {self.line}"
        return f"{where}: {self.msgid!r}" + (f" [{self.msgctxt}]" if self.msgctxt else "")


_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(token: str, line_no: int) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"line {line_no}: expected a quoted string, got {token!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), token[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Entries of a gettext .po file, header included (msgid ""); obsolete (#~) ones skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None  # which field a continuation line extends

    def finish():
        nonlocal entry, target
        if entry is not None and (entry.msgstr or entry.msgid):
            entries.append(entry)
        entry, target = None, None

    keyword = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and entry.msgstr:  # a comment after msgstr starts a new entry
                finish()
            if entry is None:
                entry = Entry(line=no)
            if line.startswith("#,"):
                entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            elif line.startswith("#:"):
                entry.references.extend(line[2:].split())
            continue
        match = keyword.match(line)
        if match:
            name, index, value = match.group(1), match.group(2), _unquote(match.group(3), no)
            if name in ("msgctxt", "msgid") and entry is not None and entry.msgstr:
                finish()  # entries not separated by a blank line
            if entry is None:
                entry = Entry(line=no)
            if name == "msgid":
                entry.line = no
            if name.startswith("msgstr"):
                slot = int(index) if index is not None else 0
                entry.msgstr[slot] = value
                target = ("msgstr", slot)
            else:
                setattr(entry, name, value)
                target = (name, None)
            continue
        if line.startswith('"') and entry is not None and target is not None:
            value = _unquote(line, no)
            name, slot = target
            if name == "msgstr":
                entry.msgstr[slot] += value
            else:
                setattr(entry, name, getattr(entry, name) + value)
            continue
        raise ValueError(f"line {no}: cannot parse {raw!r}")
    finish()
    return entries


def po_path(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po"


def catalog(language: str) -> tuple[Entry, list[Entry]]:
    entries = parse_po(po_path(language).read_text(encoding="utf-8"))
    header = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(header) == 1, f"{language}: the catalog has no header entry"
    return header[0], [e for e in entries if e is not header[0]]


def problems_of(entry: Entry, nplurals: int) -> list[str]:
    """What is wrong with one entry: untranslated, fuzzy, plural forms, placeholders."""
    found = []
    if "fuzzy" in entry.flags:
        found.append("fuzzy")
    wanted = list(range(nplurals)) if entry.msgid_plural is not None else [0]
    if sorted(entry.msgstr) != wanted:
        found.append(f"msgstr forms {sorted(entry.msgstr)}, expected {wanted}")
    if any(not entry.msgstr.get(i, "").strip() for i in wanted):
        found.append("untranslated")
    for i, text in entry.msgstr.items():
        # msgstr[0] renders the singular only where a language has separate forms
        single = entry.msgid_plural is None or (i == 0 and nplurals > 1)
        source = entry.msgid if single else entry.msgid_plural
        if text and sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
            found.append(f"placeholders of msgstr[{i}] differ from the source")
        if text and sorted(TEMPLATE_VAR.findall(text)) != sorted(TEMPLATE_VAR.findall(source)):
            found.append(f"template variables of msgstr[{i}] differ from the source")
    return found


# ---- the parser itself (so that a broken parser cannot make the checks pass) ---------------


def test_parse_po_reads_context_plurals_flags_and_continuations():
    text = (
        '# comment\nmsgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        "#: a.py:1 t.html:2\n#, fuzzy, python-format\n"
        'msgctxt "ctx"\nmsgid "A %(n)s"\nmsgstr "甲 %(n)s"\n\n'
        'msgid ""\n"long "\n"text \\"q\\""\nmsgstr ""\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "一"\nmsgstr[1] ""\n\n'
        '#~ msgid "old"\n#~ msgstr "旧"\n'
    )
    header, ctx, long, plural = parse_po(text)
    assert (header.msgid, header.msgstr) == ("", {0: "Language: zh_Hans\n"})
    assert (ctx.key, ctx.msgstr, ctx.flags) == (
        "ctx\x04A %(n)s",
        {0: "甲 %(n)s"},
        {"fuzzy", "python-format"},
    )
    assert ctx.references == ["a.py:1", "t.html:2"]
    assert (long.msgid, long.msgstr) == ('long text "q"', {0: ""})
    assert (plural.msgid_plural, plural.msgstr) == ("many", {0: "一", 1: ""})
    assert problems_of(ctx, 1) == ["fuzzy"]
    assert problems_of(long, 1) == ["untranslated"]
    assert problems_of(plural, 1) == ["msgstr forms [0, 1], expected [0]"]
    assert problems_of(plural, 2) == ["untranslated"]
    bad = Entry(msgid="%(a)s of %(b)s", msgstr={0: "%(a)s 的 %(c)s"})
    assert problems_of(bad, 1) == ["placeholders of msgstr[0] differ from the source"]


# ---- the catalogs --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_has_every_entry_translated_and_none_fuzzy(language):
    _, entries = catalog(language)
    problems = [
        f"{e.label}: {', '.join(p)}" for e in entries if (p := problems_of(e, NPLURALS[language]))
    ]
    assert problems == [], f"{language}: {len(problems)} entries to fix:\n" + "\n".join(problems)
    assert len(entries) > 300


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_header_is_final_with_utf8_and_the_plural_rule(language):
    header, _ = catalog(language)
    assert "fuzzy" not in header.flags  # msgfmt would drop a fuzzy header (and its plural rule)
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Language"] == language
    assert fields["Plural-Forms"].startswith(f"nplurals={NPLURALS[language]};")


def test_catalogs_cover_the_same_messages():
    zh = {e.key for e in catalog("zh_Hans")[1]}
    en = {e.key for e in catalog("en")[1]}
    assert sorted(zh - en) == []
    assert sorted(en - zh) == []


# What `make messages` scans: makemessages' default extensions for the django domain, from the
# repository root, without its --ignore'd directories and (Django's default) hidden ones.
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
NOT_SCANNED = {".venv", "tests", "var", "locale", "__pycache__", "node_modules"}
IGNORED = ["--ignore=.venv", "--ignore=tests", "--ignore=var"]  # as in the Makefile
GETTEXT_PROGRAMS = ("xgettext", "msguniq", "msgmerge", "msgattrib")


def copy_sources(root: Path, target: Path) -> int:
    """Copy the files makemessages would read (and nothing else, to stay fast)."""
    copied = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in NOT_SCANNED and not d.startswith(".")]
        for name in filenames:
            if Path(name).suffix in SOURCE_SUFFIXES:
                source = Path(dirpath) / name
                destination = target / source.relative_to(root)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
                copied += 1
    return copied


def test_catalogs_hold_every_string_of_the_source(tmp_path):
    """Run makemessages on a copy of the source tree and compare the message ids it extracts
    with the committed catalogs: a string marked for translation but missing from them (the
    catalogs were not regenerated after a change) fails here, and so does a stale entry whose
    string left the source (makemessages --no-obsolete would drop it)."""
    missing_programs = [p for p in GETTEXT_PROGRAMS if shutil.which(p) is None]
    if missing_programs:
        pytest.skip(f"GNU gettext not installed ({', '.join(missing_programs)} not on PATH)")
    root = Path(settings.BASE_DIR)
    source = tmp_path / "src"
    assert copy_sources(root, source) > 100
    locale = tmp_path / "locale"  # outside the copy, so makemessages writes only here
    locale.mkdir()
    (source / "i18n_check_settings.py").write_text(
        f"from ietsportal.settings import *  # noqa: F403\nLOCALE_PATHS = [{str(locale)!r}]\n",
        encoding="utf-8",
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "i18n_check_settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", *IGNORED],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    extracted = {
        e.key: e
        for e in parse_po((locale / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text("utf-8"))
        if e.key
    }
    assert len(extracted) > 300  # the extraction ran over the whole tree
    assert "Attach at least one evidence file (M§13(3))." in extracted  # `_g(...)` is extracted
    for language in LANGUAGES:
        committed = {e.key for e in catalog(language)[1]}
        missing = sorted(
            f"{key!r} ({' '.join(extracted[key].references)})"
            for key in extracted.keys() - committed
        )
        stale = sorted(repr(key) for key in committed - extracted.keys())
        assert missing == [], (
            f"{language}: {len(missing)} strings of the source are not in the catalog; run "
            "`make messages` and translate them (docs/translations.md):\n" + "\n".join(missing)
        )
        assert stale == [], (
            f"{language}: {len(stale)} catalog entries are no longer in the source; run "
            "`make messages`:\n" + "\n".join(stale)
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language):
    """The committed .mo is the compiled .po: same entries, same translations, same plural rule
    (a .mo left stale after editing the .po fails here)."""
    _, entries = catalog(language)
    mo = po_path(language).with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `manage.py compilemessages`"
    with mo.open("rb") as handle:
        compiled = gettext_module.GNUTranslations(handle)
    expected = {}
    for e in entries:
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr[0]
        else:
            expected.update({(e.key, i): text for i, text in e.msgstr.items()})
    actual = {k: v for k, v in compiled._catalog.items() if k != ""}
    differing = sorted(
        str(k) for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k)
    )
    assert differing == [], f"{language}: .mo differs from .po for: {differing[:20]}"
    assert (
        compiled.ngettext("%(n)s certificate found", "%(n)s certificates found", 2)
        == (expected[("%(n)s certificate found", 0 if language == "zh_Hans" else 1)])
    )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt not installed")
@pytest.mark.parametrize("language", LANGUAGES)
def test_msgfmt_check_accepts_the_catalog(language):
    """GNU msgfmt's own checks (format strings, header, plural forms) on top of the above."""
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po_path(language))],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


# ---- the translations at work --------------------------------------------------------------


def test_labels_come_out_in_chinese_under_zh_hans():
    with translation.override("zh-hans"):
        assert str(ApplicationState.DRAFT.label) == "草稿"
        assert str(ApplicationState.SUBMITTED.label) == "已提交"
        assert str(ApplicationState.RETURNED_TO_APPLICANT.label) == "待补正材料"
        assert str(ApplicationState.REFUSED.label) == "不予受理"
        assert str(ApplicationState.DOCUMENT_REVIEW.label) == "文件评审"
        assert str(ApplicationState.ONSITE_REVIEW.label) == "现场评审"
        assert str(ApplicationState.EXPERT_REVIEW.label) == "专家评审"
        assert str(ApplicationState.PUBLICITY.label) == "公示中"
        assert str(ApplicationState.ISSUED.label) == "已发证"
        assert str(CertificateStatus.VALID.label) == "有效"
        assert str(CertificateStatus.SUSPENDED.label) == "暂停"
        assert str(CertificateStatus.REVOKED.label) == "撤销"
        assert str(CertificateStatus.EXPIRED.label) == "已过期"
        assert str(Grade("IETS-E").label) == "IETS-E（卓越级）"
        assert str(EvaluationKind.INNOVATION.label) == "新一代信息技术应用与创新能力评价（M§12）"
        assert str(OrganizationType.ENTERPRISE.label) == "企业"
        assert str(Role.ASSESSOR.label) == "评价人员"
        assert pgettext("application state", "Draft") == "草稿"
        assert (
            ngettext("%(n)s certificate found", "%(n)s certificates found", 3) % {"n": 3}
            == "共找到 3 份证书"
        )


def test_labels_stay_english_under_en():
    with translation.override("en"):
        assert str(ApplicationState.PUBLICITY.label) == "In publicity"
        assert str(CertificateStatus.SUSPENDED.label) == "Suspended"
        assert (
            ngettext("%(n)s certificate found", "%(n)s certificates found", 1) % {"n": 1}
            == "1 certificate found"
        )
        assert (
            ngettext("%(n)s certificate found", "%(n)s certificates found", 3) % {"n": 3}
            == "3 certificates found"
        )


def test_service_message_marked_with_the_g_alias_is_translated(flow, world):
    """Services mark eager messages `_g(...)`: makemessages must extract them
    (ietsportal/management/commands/makemessages.py), so the applicant reads Chinese."""
    app = flow.draft(evidence=False)
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as caught:
        flow.fire(app, "submit", world.applicant)
    assert str(caught.value.message) == "请至少上传一份证明材料（M§13(3)）。"
    with translation.override("en"), pytest.raises(InvalidInput) as caught:
        flow.fire(app, "submit", world.applicant)
    assert str(caught.value.message) == "Attach at least one evidence file (M§13(3))."


def test_api_error_follows_accept_language(client, db):
    url = "/api/v1/public/certificates/"
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert (zh.status_code, zh.json()) == (
        400,
        {"q": "请输入证书编号、统一社会信用代码或组织名称。"},
    )
    assert (en.status_code, en.json()) == (
        400,
        {"q": "Enter a certificate number, a unified social credit code or an organisation name."},
    )


def test_home_page_is_chinese_by_default_and_english_on_request(client, db):
    zh = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    default = client.get("/").content.decode()
    en = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-CN">' in zh
    assert "<h1>信息化工程与技术服务能力评价</h1>" in zh
    assert "中国技术市场协会 · 科学技术评价中心" in zh
    assert "IT Engineering" not in zh
    # each language is offered in its own name, so a reader can find theirs
    assert '<option value="en" lang="en">English</option>' in zh
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in en
    assert "<h1>信息化工程与技术服务能力评价</h1>" in default
    assert '<html lang="en">' in en
    assert "<h1>IT Engineering and Technical Service Capability Evaluation</h1>" in en
    assert "信息化工程与技术服务能力评价</h1>" not in en
