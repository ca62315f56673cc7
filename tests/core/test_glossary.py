"""The Georgian catalogue speaks the law's own words (kari/locale/glossary.toml).

Every rule runs over the compiled catalogue (django.mo, which test_i18n keeps in step with
django.po) and names the msgid that breaks it. Each rule is also run over planted violations,
so a rule that could never fail fails here.
"""

import re
import struct
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from kari.citations import GROUP, LETTERS
from kari.citations import georgian as georgian_citation

ROOT = Path(__file__).resolve().parents[2]
MO = ROOT / "kari/locale/ka/LC_MESSAGES/django.mo"
GLOSSARY = tomllib.loads((ROOT / "kari/locale/glossary.toml").read_text("utf-8"))


@dataclass(frozen=True)
class Entry:
    msgid: str
    msgstrs: tuple[str, ...]
    msgctxt: str = ""
    msgid_plural: str = ""

    @property
    def english(self) -> str:
        return f"{self.msgid}\n{self.msgid_plural}"

    def __str__(self) -> str:
        return f"{self.msgid!r}" + (f" (msgctxt {self.msgctxt!r})" if self.msgctxt else "")


def read_mo(path: Path = MO) -> list[Entry]:
    """Every translated entry of a GNU .mo file (the format is small enough to read directly)."""
    data = path.read_bytes()
    order = "<" if data[:4] == b"\xde\x12\x04\x95" else ">"
    _, count, originals, translations = struct.unpack(order + "4I", data[4:20])

    def string(table: int, i: int) -> str:
        length, offset = struct.unpack(order + "2I", data[table + 8 * i : table + 8 * i + 8])
        return data[offset : offset + length].decode("utf-8")

    entries = []
    for i in range(count):
        original, translated = string(originals, i), string(translations, i)
        if not original:
            continue  # the header
        context, _, original = original.rpartition("\x04")
        msgid, _, plural = original.partition("\x00")
        entries.append(Entry(msgid, tuple(translated.split("\x00")), context, plural))
    return entries


ENTRIES = read_mo()


# --- the rules -------------------------------------------------------------------------------


def latin_names(e: Entry) -> list[str]:
    """No Latin "EMIS" (nor NAEC, NCEQE, SEN) in a Georgian string."""
    pattern = GLOSSARY["latin"]["forbid"]
    return [
        f"{e}: Latin {m.group()!r} in Georgian {s!r}"
        for s in e.msgstrs
        if (m := re.search(pattern, s))
    ]


def sign_in_only(e: Entry) -> list[str]:
    """შესვლა and its forms only where the English is about signing in."""
    rule = GLOSSARY["sign_in"]
    if re.search(rule["msgid"], e.english, re.I):
        return []
    return [
        f"{e}: {m.group()!r} means signing in; this string is not about signing in"
        for s in e.msgstrs
        if (m := re.search(rule["georgian"], s))
    ]


def _term_applies(term: dict, e: Entry) -> bool:
    if "contexts" in term and e.msgctxt not in term["contexts"]:
        return False
    if e.msgctxt in term.get("skip_contexts", ()) or e.msgid in term.get("exempt", ()):
        return False
    prose = re.sub(r"%\(\w+\)[sd]", "", e.english)  # %(round)s is no mention of a round
    return bool(re.search(term["match"], prose, re.I))


def term_rule(term: dict):
    def rule(e: Entry) -> list[str]:
        if not _term_applies(term, e):
            return []
        problems = []
        for s in e.msgstrs:
            missing = [p for p in term["require"] if not re.search(p, s)]
            wrong = [m.group() for p in term.get("forbid", ()) if (m := re.search(p, s))]
            if missing or wrong:
                problems.append(
                    f"{e}: “{term['en']}” is “{term['ka']}” ({term['article']}), but "
                    f"{s!r}"
                    + (f" lacks {missing}" if missing else "")
                    + (f" uses {wrong}" if wrong else "")
                )
        return problems

    rule.__name__ = f"term {term['en']}"
    return rule


def bare_centre_is_naec(e: Entry) -> list[str]:
    """A bare ცენტრი is NAEC, as in the regulation; an exam centre is always საგამოცდო ცენტრი."""
    compounds = r"(?:საგამოცდო|სარეგისტრაციო|ეროვნულ\w*)\s+ცენტრ|რესურსცენტრ"
    if re.search(r"\bNAEC\b", e.english):
        return []
    return [
        f"{e}: a bare ცენტრ- means NAEC (A7.2), and this string is not about NAEC: {s!r}"
        for s in e.msgstrs
        if re.search(r"ცენტრ(?!ალ)", re.sub(compounds, "", s))
    ]


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|</?[a-z]+[^>]*>")


def placeholders_kept(e: Entry) -> list[str]:
    """Every %(name)s (and %%, and every HTML tag) of the English is in every Georgian form."""
    wanted = sorted(set(PLACEHOLDER.findall(e.english)))
    return [
        f"{e}: placeholders {wanted} but the Georgian has {got}: {s!r}"
        for s in e.msgstrs
        if (got := sorted(set(PLACEHOLDER.findall(s)))) != wanted
    ]


GEORGIAN_CITATION = re.compile(r"მუხ\.|ეტაპ(?:ი|ები) \d")
LATIN_CITATION = re.compile(r"\b[AC]\d+|(?<!%)\([a-z]\)")


def citations_in_georgian_form(e: Entry) -> list[str]:
    """(A15.3(c)) is written „(მუხ. 15.3 „გ“)“: all of a string's citations, or none of them."""
    wanted = [georgian_citation(m.group()) for m in GROUP.finditer(e.english)]
    problems = []
    for s in e.msgstrs:
        if m := LATIN_CITATION.search(s):
            problems.append(f"{e}: citation {m.group()!r} in Latin form in {s!r}")
            continue
        if not GEORGIAN_CITATION.search(s):
            continue  # dropped, as on applicants' pages and in SMS
        missing = [w for w in wanted if w not in s]
        rest = s
        for w in sorted(wanted, key=len, reverse=True):
            rest = rest.replace(w, "")
        if missing or GEORGIAN_CITATION.search(rest):
            problems.append(f"{e}: citations should read {wanted}, not as in {s!r}")
    return problems


def grammar(e: Entry) -> list[str]:
    """Known case, ordinal and calque errors stay fixed."""
    return [
        f"{e}: {m.group()!r}: {g['fix']}"
        for g in GLOSSARY["grammar"]
        for s in e.msgstrs
        if (m := re.search(g["pattern"], s))
    ]


RULES = [
    latin_names,
    sign_in_only,
    bare_centre_is_naec,
    placeholders_kept,
    citations_in_georgian_form,
    grammar,
    *(term_rule(t) for t in GLOSSARY["term"]),
]


# --- the catalogue keeps every rule ----------------------------------------------------------


def test_the_catalogue_is_read():
    assert len(ENTRIES) > 900
    assert any(e.msgctxt for e in ENTRIES) and any(e.msgid_plural for e in ENTRIES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_catalogue_keeps_the_rule(rule):
    problems = [p for e in ENTRIES for p in rule(e)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("term", GLOSSARY["term"], ids=lambda t: t["en"])
def test_every_glossary_term_is_complete_and_used(term):
    assert {"en", "ka", "article", "match", "require"} <= term.keys()
    for pattern in [term["match"], *term["require"], *term.get("forbid", ())]:
        re.compile(pattern)
    assert any(_term_applies(term, e) for e in ENTRIES), f"no msgid matches {term['match']!r}"


# --- every rule catches a planted violation (and passes the right wording) -------------------


def _term(en: str):
    return next(r for r in RULES if r.__name__ == f"term {en}")


PLANTED = [
    (latin_names, Entry("Hand-overs to EMIS", ("გადაცემები EMIS-ისთვის",))),
    (sign_in_only, Entry("Check-in", ("შესვლის რეგისტრაცია",))),
    (sign_in_only, Entry("Checked in", ("შევიდა",))),
    (bare_centre_is_naec, Entry("This centre is listed twice.", ("ეს ცენტრი ორჯერაა.",))),
    (placeholders_kept, Entry("Line %(n)s", ("სტრიქონი %(m)s",))),
    (placeholders_kept, Entry("Until <strong>%(d)s</strong>", ("%(d)s-მდე",))),
    (citations_in_georgian_form, Entry("Seats (A12.7).", ("ადგილები (A12.7).",))),
    (citations_in_georgian_form, Entry("Town (A15.3(c)).", ("ქალაქი (მუხ. 15.3 „ც“).",))),
    (citations_in_georgian_form, Entry("X (A13.3, A13.6).", ("X (მუხ. 13.3).",))),
    (grammar, Entry("Submit to NAEC", ("წარუდგინეთ ეროვნული ცენტრს",))),
    (grammar, Entry("Already given on line %(n)s.", ("მითითებულია %(n)s-ე სტრიქონზე.",))),
    (_term("check-in (at the exam centre)"), Entry("Check-in opens", ("რეგისტრაცია იწყება",))),
    (_term("EMIS (the management system)"), Entry("to EMIS", ("EMIS-ს",))),
    (_term("proctor"), Entry("proctor's page", ("გამომცდელის გვერდი",))),
    (
        _term('applicant (individual certification; msgctxt "certification")'),
        Entry("Applicant", ("აპლიკანტი",), "certification"),
    ),
    (_term("applicant (vocational testing)"), Entry("Applicant", ("განმცხადებელი",))),
    (_term("full name"), Entry("Full name", ("სრული სახელი",))),
    (_term("force majeure"), Entry("force majeure", ("დაუძლეველი ძალა",))),
    (_term("fault (of EMIS or NAEC)"), Entry("a fault of NAEC", ("ცენტრის ბრალი",))),
    (_term("test language"), Entry("Test language", ("ტესტის ენა",))),
    (_term("preferred exam municipality"), Entry("Exam municipality", ("მუნიციპალიტეტი",))),
    (_term("skills test"), Entry("Choose a skills test", ("აირჩიეთ უნარების ტესტი",))),
    (_term("(programme) framework document"), Entry("framework document", ("ჩარჩო დოკუმენტი",))),
    (
        _term("ranked list (of programmes); re-ranking"),
        Entry("re-ranking window", ("რეიტინგული ჩამონათვლის შეცვლის პერიოდი",)),
    ),
    (_term("seat (a computer at the exam centre)"), Entry("Seats", ("ადგილები",))),
    (_term("public VET portal"), Entry("Public VET portal", ("საჯარო პორტალი",))),
    (_term("SEN (special educational needs)"), Entry("SEN applicants", ("სსსმ აპლიკანტები",))),
    (_term("verify, verification"), Entry("Printout verification", ("ამონაბეჭდის შემოწმება",))),
    (_term("draft"), Entry("draft (may be re-run)", ("პროექტი",))),
    (  # every plural form is checked
        _term("seat (a computer at the exam centre)"),
        Entry("%(n)s seat", ("%(n)s სამუშაო ადგილი", "%(n)s ადგილი"), "", "%(n)s seats"),
    ),
]
RIGHT = [
    (latin_names, Entry("Hand-overs to EMIS", ("გადაცემები მართვის სისტემისთვის",))),
    (sign_in_only, Entry("Sign in", ("შესვლა",))),
    (bare_centre_is_naec, Entry("This centre is listed twice.", ("ეს საგამოცდო ცენტრი ორჯერაა.",))),
    (bare_centre_is_naec, Entry("Results from NAEC", ("შედეგები ცენტრიდან",))),
    (placeholders_kept, Entry("Until <strong>%(d)s</strong>", ("<strong>%(d)s</strong>-მდე",))),
    (citations_in_georgian_form, Entry("Town (A15.3(c)).", ("ქალაქი (მუხ. 15.3 „გ“).",))),
    (citations_in_georgian_form, Entry("Town (A15.3(c)).", ("ქალაქი.",))),
    (citations_in_georgian_form, Entry("Done (A17-A26.1).", ("(მუხ. 17–26.1)",))),
    (citations_in_georgian_form, Entry("Decide (C3-C4).", ("(ეტაპები 3–4)",))),
    (grammar, Entry("Submit to NAEC", ("წარუდგინეთ ეროვნულ ცენტრს",))),
    (_term("check-in (at the exam centre)"), Entry("Check-in", ("რეგისტრაცია საგამოცდო ცენტრში",))),
    (
        _term('applicant (individual certification; msgctxt "certification")'),
        Entry("Applicant", ("განმცხადებელი",), "certification"),
    ),
    (_term("SEN (special educational needs)"), Entry("SEN places", ("სსსმ ადგილები",))),
]


@pytest.mark.parametrize(("rule", "entry"), PLANTED, ids=lambda x: getattr(x, "__name__", ""))
def test_each_rule_names_the_msgid_of_a_planted_violation(rule, entry):
    problems = rule(entry)
    assert problems and all(repr(entry.msgid) in p for p in problems)


@pytest.mark.parametrize(("rule", "entry"), RIGHT, ids=lambda x: getattr(x, "__name__", ""))
def test_each_rule_passes_the_right_wording(rule, entry):
    assert rule(entry) == []


def test_citations_are_converted_with_the_regulations_letters():
    assert "".join(LETTERS.values()) == GLOSSARY["citations"]["letters"].replace(" ", "")
    assert georgian_citation("A15.3(c)") == "მუხ. 15.3 „გ“"
    assert georgian_citation("A13.4(g), A10.3") == "მუხ. 13.4 „ზ“, 10.3"
    assert georgian_citation("A19.1-2") == "მუხ. 19.1–2"
    assert georgian_citation("A15.4-A15.6") == "მუხ. 15.4–15.6"
    assert georgian_citation("A20.6(d)") == "მუხ. 20.6 „დ“"
    assert georgian_citation("C1") == "ეტაპი 1"
    assert georgian_citation("C3-C4") == "ეტაპები 3–4"


def test_a_rule_error_appends_its_citation_in_the_readers_language():
    from django.utils import translation

    from kari.errors import RuleError

    with translation.override("en"):
        assert RuleError("Closed.", citation="A20.2").messages == ["Closed. (A20.2)"]
        assert RuleError("Closed (A20.2).", citation="A20.2").messages == ["Closed (A20.2)."]
    with translation.override("ka"):
        error = RuleError("დასრულდა.", field="when", citation="A15.3(c)")
        assert error.message_dict == {"when": ["დასრულდა. (მუხ. 15.3 „გ“)"]}
        cited = RuleError("დასრულდა (მუხ. 20.2).", citation="A20.2")
        assert cited.messages == ["დასრულდა (მუხ. 20.2)."]


def test_pages_render_citations_in_the_readers_language():
    from kari.citations import cite

    assert cite("A18, A19.4", "ka") == "მუხ. 18, 19.4"
    assert cite("A12.1(a)", "ka") == "მუხ. 12.1 „ა“"
    assert cite("A19-A22", "en") == "A19-A22"
