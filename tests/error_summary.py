"""The GOV.UK error summary as a test sees it on a page (kari.formerrors, includes/form.html):
one on the page, an alert focused on load, each field's problem a link to its input."""

import re


def error_summary(html: str) -> str:
    """The page's only error summary (the test fails on none or on more than one)."""
    assert html.count("data-error-summary") == 1, "not exactly one error summary on the page"
    assert html.count("autofocus") == 1, "not exactly one element focused on load"
    found = re.search(r'<div class="error-summary"[^>]*data-error-summary>.*?</ul>', html, re.S)
    assert found, "the error summary's markup"
    summary = found.group(0)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    return summary


def assert_error_summary(html: str, field_id: str, typed: str | None = None) -> str:
    """One summary linking to ``field_id``, an input on the page; ``typed`` still shown."""
    summary = error_summary(html)
    assert f'href="#{field_id}"' in summary, summary
    assert f'id="{field_id}"' in html, f"no input #{field_id} to go to"
    if typed is not None:
        assert typed in html.replace(summary, ""), f"what was typed is lost: {typed}"
    return summary
