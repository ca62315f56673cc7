"""The ranked-list editor's state: programme codes in order, edited by plain form buttons
(add, move up, move down, remove), so it works with a keyboard, a screen reader and a phone
without JavaScript. The eligible list narrows as choices are made (A14, A15.3(d))."""

from django.db.models import Q

from .rules import offered_programmes


def apply_action(codes: list[str], action: str, added: str = "") -> list[str]:
    codes = [c for c in codes if c]
    verb, _, code = action.partition(":")
    if verb == "add" and added and added not in codes:
        return [*codes, added]
    if code not in codes:
        return codes
    i = codes.index(code)
    if verb == "up" and i > 0:
        codes[i - 1], codes[i] = codes[i], codes[i - 1]
    elif verb == "down" and i < len(codes) - 1:
        codes[i + 1], codes[i] = codes[i], codes[i + 1]
    elif verb == "remove":
        codes.pop(i)
    return codes


def eligible(
    round_,
    chosen,
    *,
    direction="",
    field="",
    test_language="ka",
    foreign_language="",
    stage="primary",
    locked_test=None,
    q="",
):
    """Programmes the applicant may still add: offered this round, matching the choices made
    (the list so far, the test language, the foreign language) and the search."""
    qs = offered_programmes(round_, stage).exclude(code__in=[p.code for p in chosen])
    if chosen:
        first = chosen[0]
        if stage == "primary":  # A15.3(d); article 2(e): one direction
            qs = qs.filter(
                skills_test=first.skills_test,
                subject_group=first.subject_group,
                field__direction=first.field.direction,
            )
        else:
            qs = qs.filter(institution=first.institution, field__direction=first.field.direction)
    if locked_test:  # A26.2: within the skills test and subject group taken
        qs = qs.filter(skills_test=locked_test[0], subject_group=locked_test[1])
    if test_language and test_language != "ka":
        qs = qs.filter(framework_based=True)  # A4.2
    if foreign_language:
        qs = qs.filter(foreign_language__in=["any", foreign_language])  # A7.5
    if test_language == "ru":
        qs = qs.exclude(foreign_language="ru")  # A4.3: never Russian twice
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(code__icontains=q)
            | Q(name_ka__icontains=q)
            | Q(name_en__icontains=q)
            | Q(institution__organisation__name_ka__icontains=q)
            | Q(institution__organisation__name_en__icontains=q)
        )
    if direction:
        qs = qs.filter(field__direction__code=direction)
    if field:
        qs = qs.filter(field__code=field)
    return qs.order_by("institution__organisation__name_ka", "name_ka")


def offered_programmes_in_order(round_, codes: list[str], stage="primary"):
    """The chosen programmes, in the applicant's order (unknown codes are dropped)."""
    found = {p.code: p for p in offered_programmes(round_, stage).filter(code__in=codes)}
    return [found[c] for c in codes if c in found]
