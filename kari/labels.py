"""Form labels from model fields without Django's ``capfirst`` in Georgian.

A ModelForm labels a field ``capfirst(verbose_name)``. Georgian has no capital letters in
ordinary writing, but Unicode maps Mkhedruli to Mtavruli, so the first letter of a Georgian
label turns into a Mtavruli letter that the interface's fonts cannot draw (an empty box).
``PlainLabels`` relabels such fields: sentence case in English, the text as written in
Georgian."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import lazy
from django.utils.text import capfirst

# Georgian letters: Asomtavruli and Nuskhuri (U+10A0-U+10FF), Mtavruli (U+1C90-U+1CBF),
# Nuskhuri supplement (U+2D00-U+2D2F)
_GEORGIAN = ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F))
# Mtavruli (U+1C90-U+1CBA, U+1CBD-U+1CBF) to Mkhedruli (U+10D0-U+10FA, U+10FD-U+10FF)
MTAVRULI_TO_MKHEDRULI = {m: m - 0x1C90 + 0x10D0 for m in range(0x1C90, 0x1CC0)}


def is_georgian(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in _GEORGIAN)


def _sentence_case(text) -> str:
    text = str(text)
    if text and is_georgian(text[0]):
        return text.translate(MTAVRULI_TO_MKHEDRULI)
    return str(capfirst(text))


sentence_case = lazy(_sentence_case, str)


def has_mtavruli(text: str) -> bool:
    return any(0x1C90 <= ord(ch) <= 0x1CBF for ch in text)


class PlainLabels:
    """A ModelForm mixin: every label taken from a model field's verbose name is in sentence
    case in English and left as written in Georgian (never a Mtavruli first letter)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        meta = self._meta
        explicit = set(getattr(meta, "labels", None) or {})
        for name, field in self.fields.items():
            if name in self.declared_fields or name in explicit:
                continue
            try:
                model_field = meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            field.label = sentence_case(model_field.verbose_name)
