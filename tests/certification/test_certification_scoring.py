"""Issue 19: a reviewer's scores need intent (C3). No score is preselected, every criterion
must be chosen, a summary comes before submitting, and a submitted score can be corrected
until the decision. The criteria and the rubric are shown by name, in the page's language."""

from django.utils import translation

from kari.audit.models import AuditEntry
from kari.certification import services
from kari.certification.models import Assignment, Score, Status
from tests.certification.test_certification_services import in_review
from tests.conftest import sign_in


def _setup(cert, client):
    app = in_review(cert)
    services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"])
    a = Assignment.objects.filter(application=app).order_by("reviewer__username").first()
    sign_in(client, a.reviewer)
    return app, a, f"/certification/staff/applications/{app.pk}/"


def test_C3_no_score_is_preselected_and_every_criterion_must_be_chosen(cert, client):
    app, a, url = _setup(cert, client)
    html = client.get(url).content.decode()
    criteria = list(app.call.criteria.all())
    for c in criteria:
        select = html[html.index(f'name="score_{c.code}"') :]
        select = select[: select.index("</select>")]
        first = select[select.index("<option") :].split("</option>")[0]
        assert 'value=""' in first and "selected" in first  # "choose…", never 0
        assert c.name_ka in html  # the criterion by name, not its code
    # the form sent as it came (nothing chosen) records nothing
    scores = {f"score_{c.code}": "" for c in criteria}
    response = client.post(url, {"score": "1", "step": "submit", **scores})
    assert not Score.objects.filter(assignment=a).exists()
    response = client.post(url, {"score": "1", **scores})
    assert response.status_code == 200 and f'id="id_score_{criteria[0].code}_error"' in (
        response.content.decode()
    )


def test_C3_the_reviewer_checks_a_summary_then_corrects_until_the_decision(cert, client):
    app, a, url = _setup(cert, client)
    criteria = list(app.call.criteria.all())
    scores = {f"score_{c.code}": "3" for c in criteria} | {f"comment_{criteria[0].code}": "კარგი"}
    check = client.post(url, {"score": "1", **scores}).content.decode()
    assert 'id="score-summary"' in check and "კარგი" in check
    assert not Score.objects.filter(assignment=a).exists()  # nothing submitted yet
    with translation.override("ka"):
        assert criteria[0].name in check
    # "change" goes back to the form with the chosen scores
    back = client.post(url, {"score": "1", "step": "edit", **scores}).content.decode()
    assert 'id="score-form"' in back and '<option value="3" selected>' in back
    client.post(url, {"score": "1", "step": "submit", **scores})
    assert Score.objects.filter(assignment=a).count() == len(criteria)
    page = client.get(url).content.decode()
    assert 'id="score-correctable"' in page and '<option value="3" selected>' in page
    # a correction before the decision replaces the score, and the audit log keeps both
    client.post(url, {"score": "1", "step": "submit", **scores, f"score_{criteria[0].code}": "5"})
    assert Score.objects.get(assignment=a, criterion=criteria[0]).score == 5
    entry = AuditEntry.objects.filter(action="cert.score").order_by("-pk").first()
    assert entry.before[criteria[0].code] == 3 and entry.after[criteria[0].code] == 5
    # after the decision, no correction
    for other in Assignment.objects.filter(application=app).exclude(pk=a.pk):
        services.submit_scores(other.reviewer, other, {c.code: (4, "") for c in criteria})
    services.decide(cert["officer"], app, certified=False, reasons="არასაკმარისი გამოცდილება")
    app.refresh_from_db()
    assert app.status != Status.IN_REVIEW
    assert 'id="score-form"' not in client.get(url).content.decode()
    client.post(url, {"score": "1", "step": "submit", **scores})
    assert Score.objects.get(assignment=a, criterion=criteria[0]).score == 5


def test_C3_the_rubric_and_criteria_are_in_the_pages_language(cert, client):
    app, a, url = _setup(cert, client)
    english = client.get("/en" + url).content.decode()
    georgian = client.get(url).content.decode()
    assert "Existing experience" in english and "არსებული გამოცდილება" not in english
    assert "clear evidence" in english
    assert "clear evidence" not in georgian and "არსებული გამოცდილება" in georgian
