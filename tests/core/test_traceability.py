"""docs/traceability.md is true: every code path and test it names exists; it and docs/rules.md
(the project's reading of the rules) cover each other; the repository needs nothing outside it."""

import ast
import functools
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "traceability.md"
RULES = ROOT / "docs" / "rules.md"
SKIPPED_DIRS = {"var", "node_modules", "kari.egg-info", "build", "dist"}  # made, not kept
ANCHOR = re.compile(r'^<a id="([a-z0-9-]+)"></a>(.+)$')


def slug(citation: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", citation.lower()).strip("-")


def rows():
    for line in DOC.read_text("utf-8").splitlines():
        if line.startswith("| ") and not line.startswith("| Citation") and "---" not in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            row = dict(zip(["citation", "rule", "code", "tests", "status"], cells, strict=True))
            anchor = ANCHOR.match(row["citation"])
            row["anchor"], row["citation"] = anchor.groups() if anchor else (None, row["citation"])
            yield row


def _paths(cell):
    for part in re.sub(r"\(.*?\)", "", cell).split(","):
        part = part.strip().strip("`")
        if part and part != "—":
            yield part


@functools.cache
def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_every_row_has_a_status_and_implemented_rows_have_tests():
    all_rows = list(rows())
    assert len(all_rows) > 80
    for row in all_rows:
        assert row["status"] in {"implemented", "partial", "not yet"}, row
        if row["status"] == "implemented":
            assert row["tests"] != "—", row["citation"]


def test_named_code_and_tests_exist():
    for row in rows():
        for p in _paths(row["code"]):
            assert (ROOT / p).exists(), (row["citation"], p)
        for p in _paths(row["tests"]):
            file, _, name = p.partition("::")
            assert (ROOT / file).exists(), (row["citation"], file)
            if name:
                assert name in _test_names(ROOT / file), (row["citation"], p)


def test_the_issues_citations_are_listed():
    cited = {row["citation"] for row in rows()}
    for c in [
        "A4.2",
        "A7.3",
        "A7.4",
        "A7.5",
        "A10.4",
        "A13.1",
        "A13.2",
        "A13.3",
        "A13.4",
        "A13.5",
        "A13.6",
        "A27.2",
        "A27.3",
        "A27.4",
        "A27.9",
        "A27.10",
    ]:
        assert c in cited, c


def test_every_row_has_the_anchor_of_its_citation():
    anchors = [row["anchor"] for row in rows()]
    for row in rows():
        assert row["anchor"] == slug(row["citation"]), row["citation"]
    assert len(anchors) == len(set(anchors))


def _rule_links() -> list[str]:
    return re.findall(r"\(traceability\.md#([a-z0-9-]+)\)", RULES.read_text("utf-8"))


def test_rules_link_every_row_and_only_rows():
    """docs/rules.md states every rule in traceability.md, and each of its links lands on a row."""
    anchors = {row["anchor"] for row in rows()}
    links = set(_rule_links())
    assert links - anchors == set(), "links in docs/rules.md to no row"
    assert anchors - links == set(), "rows that docs/rules.md does not state"


def test_rules_state_every_article_and_certification_step():
    """A1-A42 and C1-C5 each have their section in docs/rules.md, in order."""
    headings = re.findall(r"^### ([AC]\d+)\. ", RULES.read_text("utf-8"), flags=re.M)
    assert headings == [f"A{n}" for n in range(1, 43)] + [f"C{n}" for n in range(1, 6)]


def _stated_paragraphs() -> dict[str, str]:
    """Each paragraph of docs/rules.md (**A15.3** …, **A38.1-A38.2** …) -> its text."""
    rules = RULES.read_text("utf-8")
    blocks = re.findall(
        r"\*\*(A\d+\.\d+(?:\([a-z]\))?(?:-A\d+\.\d+)?)\*\*(.*?)(?=\n *- \*\*|\n#|\Z)", rules, re.S
    )
    stated = {}
    for label, text in blocks:
        first, _, last = label.partition("-")
        if last:
            article, lo, hi = re.fullmatch(r"A(\d+)\.(\d+)-A\d+\.(\d+)", label).groups()
            for p in range(int(lo), int(hi) + 1):
                stated[f"A{article}.{p}"] = text
        else:
            stated[first] = text
    return stated


def test_every_citation_in_the_code_is_stated_in_the_rules():
    """A citation in the code (A20.4, A15.3(d)) names a paragraph stated in docs/rules.md, and a
    sub-point is stated on its own or named inside its paragraph."""
    stated = _stated_paragraphs()
    cited = set()
    for path in (ROOT / "kari").rglob("*.py"):
        cited |= set(re.findall(r"\bA\d+\.\d+(?:\([a-z]\))?", path.read_text("utf-8")))
    assert len(cited) > 50, "the code cites the rules"
    missing = []
    for c in sorted(cited):
        paragraph, _, letter = c.partition("(")
        if c in stated:
            continue
        if paragraph not in stated or (letter and f"({letter}" not in stated[paragraph]):
            missing.append(c)
    assert missing == []


def test_the_repository_points_nowhere_outside_itself():
    """Someone who clones Kari has only the repository: no path into ../shared or /work."""
    outside = re.compile(r"\.\./shared|/work/|\bshared/(spec|seeds)/")
    suffixes = {".py", ".md", ".html", ".txt", ".toml", ".cfg", ".yaml", ".yml", ".json", ".po"}
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith((".", "__")) and d not in SKIPPED_DIRS]
        for name in files:
            path = Path(folder) / name
            if path.suffix in suffixes and path != Path(__file__).resolve():
                text = path.read_text("utf-8", errors="replace")
                found += [f"{path.relative_to(ROOT)}: {m.group()}" for m in outside.finditer(text)]
    assert found == []
