"""Every form page shows the GOV.UK error summary, from one shared piece: includes/form.html
calls ``{% error_summary form %}`` (kari.formerrors). A bound form with errors comes back with
one summary at its top (role=alert, focused on load), each field's problem a link to its input
(a group of radios: its first option), a problem not on a field a plain item; and what was
typed is still in the form. Pages from many apps, posted wrong by the person allowed to."""

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template

from kari.accounts.roles import Role
from tests.conftest import sign_in
from tests.error_summary import assert_error_summary, error_summary

# (who, url, what is posted, the field in error's id, a value typed that must come back)
PAGES = {
    "ranking competition upload": (
        Role.INSTITUTION_ADMIN,
        "/en/ranking/competition/",
        {"file": "a-text-file"},
        "id_file",
        None,  # a file input is never filled in again
    ),
    "ranking earlier cut-offs upload": (
        Role.EMIS_OPERATOR,
        "/en/ranking/earlier-cutoffs/",
        {"file": "a-text-file"},
        "id_file",
        None,
    ),
    "catalogue programme": (
        Role.INSTITUTION_ADMIN,
        "/en/catalogue/programmes/new/",
        {"code": "", "name_ka": "ტიპური მზარეული", "name_en": "Typed cook", "stage": "primary"},
        "id_code",
        'value="Typed cook"',
    ),
    "enrolment terms": (
        Role.INSTITUTION_ADMIN,
        "/en/enrolment/terms/A-0/",
        {"documents": "Typed passport copy", "submit_until": "not a date", "duration_months": "9"},
        "id_submit_until",
        "Typed passport copy",
    ),
    "enrolment contract template": (
        Role.INSTITUTION_ADMIN,
        "/en/enrolment/contract-template/",
        {"clauses": ""},
        "id_clauses",
        None,
    ),
    "SEN schedule": (
        Role.SEN_OFFICER,
        "/en/staff/sen/ministry/schedule/",
        {"stage": "primary", "registration_opens": "31.02.2020", "max_minutes": "97"},
        "id_registration_opens",
        'value="97"',
    ),
    "round schedule (new round)": (
        Role.MINISTRY_OFFICER,
        "/en/rounds/new/",
        {"year": "", "season": "", "reason": "Typed reason for the round"},
        "id_year",
        "Typed reason for the round",
    ),
    "certification new call": (
        Role.CERTIFICATION_OFFICER,
        "/en/certification/staff/calls/new/",
        {"programme_ka": "", "title": "Typed call title"},
        "id_programme_ka",
        'value="Typed call title"',
    ),
    "staff password change": (
        Role.EXAM_HOST_MANAGER,
        "/en/staff/password/",
        {"old_password": "", "new_password": "x"},
        "id_old_password",
        None,  # a password is never shown again
    ),
}


def _data(data):
    text = SimpleUploadedFile("results.txt", b"programme_code,score\n", "text/plain")
    return {k: (text if v == "a-text-file" else v) for k, v in data.items()}


@pytest.mark.parametrize("page", PAGES, ids=list(PAGES))
def test_a_form_page_posted_wrong_shows_one_error_summary_linking_to_the_field(page, world, client):
    who, url, data, field_id, typed = PAGES[page]
    sign_in(client, world["users"][who])
    response = client.post(url, _data(data))
    assert response.status_code in (200, 400), response.status_code
    summary = assert_error_summary(response.content.decode(), field_id, typed)
    assert "There is a problem" in summary


def test_a_problem_not_on_a_field_is_a_plain_item_and_the_username_stays(client, world):
    """The staff sign-in: a wrong password is the form's problem, not a field's."""
    response = client.post("/en/staff/login/", {"username": "typed-user", "password": "wrong"})
    summary = error_summary(response.content.decode())
    assert "The username or password is wrong." in summary and "href=" not in summary
    assert 'value="typed-user"' in response.content.decode()
    assert response.content.decode().count("The username or password is wrong.") == 1


class _Choices(forms.Form):
    name = forms.CharField(label="Name")
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )
    days = forms.MultipleChoiceField(
        label="Days", choices=[("1", "1")], widget=forms.CheckboxSelectMultiple
    )
    token = forms.CharField(widget=forms.HiddenInput)


def test_a_group_of_radios_links_to_its_first_option_and_a_hidden_field_to_nothing():
    from kari.formerrors import summary_items

    form = _Choices({})
    required = str(forms.Field.default_error_messages["required"])
    assert summary_items(form) == [
        ("#id_name", required),
        ("#id_kind_0", required),
        ("#id_days_0", required),
        ("", required),  # hidden: nothing on the page to go to
    ]
    assert summary_items(_Choices()) == []  # unbound: nothing to say


def _page(template: str, **context) -> str:
    return Template("{% load formerrors %}" + template).render(Context(context))


def test_a_page_gets_one_summary_whatever_calls_it():
    """A page that puts the summary on top with its own items, then includes the form, has one
    summary with both; a second form in error on the page keeps its problems by its fields."""
    form, other = _Choices({"name": "Typed"}), _Choices({})
    other.add_error(None, "The other form has its own problem.")
    html = _page(
        '{% error_summary form extra=extra %}{% include "includes/form.html" %}'
        '{% include "includes/form.html" with form=other %}',
        form=form,
        other=other,
        extra=[("#ranked-title", "Choose at least one programme.")],
    )
    summary = error_summary(html)
    assert 'href="#id_kind_0"' in summary and 'href="#ranked-title"' in summary
    assert "The other form has its own problem." not in summary
    assert html.count("The other form has its own problem.") == 1  # by the other form, no alert
    assert 'value="Typed"' in html
