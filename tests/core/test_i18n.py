"""Georgian is complete: every message is translated and the compiled catalogue is current."""

import ast
import gettext
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "kari/locale/ka/LC_MESSAGES/django.po"
MO = ROOT / "kari/locale/ka/LC_MESSAGES/django.mo"


def _field(block: str, name: str) -> str | None:
    """The text of `msgid` or `msgstr` (or `msgstr[0]`), continuation lines joined."""
    match = re.search(rf'^{re.escape(name)} "(.*)"$((?:\n"(?:.*)")*)', block, re.M)
    if not match:
        return None
    parts = [match.group(1)] + re.findall(r'^"(.*)"$', match.group(2), re.M)
    return "".join(ast.literal_eval(f'"{p}"') for p in parts)


def _entries():
    text = PO.read_text("utf-8")
    for block in text.split("\n\n")[1:]:
        if block.lstrip().startswith("#~"):
            continue
        msgid = _field(block, "msgid")
        msgstr = _field(block, "msgstr")
        if msgstr is None:
            msgstr = _field(block, "msgstr[0]")
        yield block, msgid, msgstr


def test_no_message_is_untranslated_or_fuzzy():
    entries = list(_entries())
    assert len(entries) > 200
    for block, msgid, msgstr in entries:
        assert "#, fuzzy" not in block, f"fuzzy entry:\n{block}"
        assert msgstr, f"untranslated: {msgid!r}"


def test_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    checked = 0
    for block, msgid, msgstr in _entries():
        if "msgid_plural" in block or "msgctxt" in block:
            continue
        assert catalogue.gettext(msgid) == msgstr, f"stale .mo for {msgid!r}: run compilemessages"
        checked += 1
    assert checked > 200


def test_georgian_is_the_default_and_english_the_second(settings):
    assert settings.LANGUAGE_CODE == "ka"
    assert [code for code, _ in settings.LANGUAGES] == ["ka", "en"]
