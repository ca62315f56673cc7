"""Citations of the rules in the reader's language.

English strings cite the regulation as A15.3(c) and the certification text's steps as C3;
a Georgian reader finds them as „მუხ. 15.3 „გ““ and „ეტაპი 3“. The regulation letters its
sub-points in the order of the Georgian alphabet (ა, ბ, გ, დ, ე, ვ, ზ, თ, ი, კ …), so (a) is
„ა“ and (c) is „გ“. kari/locale/glossary.toml describes the same form for translators.
"""

import re

LETTERS = dict(zip("abcdefghijklmnopqrstuvwxyz", "აბგდევზთიკლმნოპჟრსტუფქღყშჩ", strict=True))
ARTICLE, STEP, STEPS = "მუხ.", "ეტაპი", "ეტაპები"

# One reference: A13, A13.4, A13.4(e), a range A17-A26.1 or A19.1-2; C3, C3-C4.
REF = re.compile(
    r"\b([AC])(\d+(?:\.\d+)?)(?:\(([a-z])\))?(?:-[AC]?(\d+(?:\.\d+)?)(?:\(([a-z])\))?)?"
)
# References in a row: "A13.4(g), A10.3".
GROUP = re.compile(rf"{REF.pattern}(?:,\s*{REF.pattern})*")


def georgian(group: str) -> str:
    """A13.4(g), A10.3 -> მუხ. 13.4 „ზ“, 10.3; C3-C4 -> ეტაპები 3–4."""
    parts, kinds = [], set()
    for kind, first, letter, last, last_letter in REF.findall(group):
        kinds.add(kind)
        text = first + (f" „{LETTERS[letter]}“" if letter else "")
        if last:
            text += "–" + last + (f" „{LETTERS[last_letter]}“" if last_letter else "")
        parts.append(text)
    if kinds == {"A"}:
        return f"{ARTICLE} {', '.join(parts)}"
    several = len(parts) > 1 or "–" in parts[0]
    return f"{STEPS if several else STEP} {', '.join(parts)}"


def cite(text: str, language: str | None) -> str:
    """Every citation in `text` as a reader of `language` finds it in the law."""
    if not (language or "ka").startswith("ka"):
        return text
    return GROUP.sub(lambda m: georgian(m.group()), text)


def is_cited(text: str, citation: str) -> bool:
    """The text already names its rule: "(A15.7)" in English, or a Georgian citation the
    translation carries (in the form the catalogue's glossary test checks)."""
    return f"({citation})" in text or ARTICLE in text or bool(re.search(rf"{STEP}\w* \d", text))
