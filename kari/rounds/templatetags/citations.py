"""{{ "A17.2(a)"|cite }}: a citation as the reader finds it in the law (kari.citations)."""

from django import template
from django.utils.translation import get_language

from kari import citations

register = template.Library()


@register.filter
def cite(text) -> str:
    return citations.cite(str(text), get_language()) if text else ""
