"""SEN pages over HTTP: the applicant registers online with three programmes; the centre
registers with a printout; the institution records documents; the commission scores the
trial; the ministry's units act; the act is public. Georgian first."""

import pytest

from kari.sen import services
from kari.sen.models import Act, SenRegistration, Stage, Trial
from tests.conftest import sign_in
from tests.sen.conftest import PEOPLE, TODAY
from tests.sen.test_sen_services import registered, tried

pytestmark = pytest.mark.django_db


def test_A37_1_online_registration_with_three_programmes_and_the_code(client, sen):
    sen.schedule()
    page = client.get("/sen/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "სპეციალური საგანმანათლებლო საჭიროების მქონე" in html
    assert "A37" not in html  # no citations on applicant pages
    codes = [p.code for p in sen.programmes]
    data = {
        "personal_number": PEOPLE[5][0],
        "document_number": PEOPLE[5][1],
        "phone": "+995555100005",
        "email": "sen5@example.ge",
        "programme_1": codes[0],
        "programme_2": codes[1],
        "programme_3": codes[3],
    }
    r = client.post("/sen/", data)
    assert r.status_code == 302 and r["Location"].endswith("/sen/confirm/")
    r = client.post("/sen/confirm/", {"code": sen.sent[-1]})
    assert r.status_code == 302
    done = client.get("/sen/registered/").content.decode()
    reg = SenRegistration.objects.get()
    assert reg.number in done and "4" in done
    assert [c.programme.code for c in reg.choices.all()] == [codes[0], codes[1], codes[3]]
    pdf = client.get("/sen/registered/printout.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_refused_form_keeps_what_was_typed_and_names_the_field(client, sen):
    sen.schedule()
    r = client.post(
        "/sen/",
        {"personal_number": "123", "document_number": "X", "phone": "+995555100005"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and 'id="error-summary"' in html
    assert 'value="+995555100005"' in html


def test_A37_6_centre_registration_prints_the_printout_naming_the_clerk(client, sen):
    sen.schedule()
    sign_in(client, sen.clerk)
    assert client.get("/staff/sen/").status_code == 200
    codes = [p.code for p in sen.programmes]
    r = client.post(
        "/staff/sen/register/",
        {
            "personal_number": PEOPLE[6][0],
            "phone": "+995555100006",
            "programme_1": codes[0],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    r = client.post("/staff/sen/register/confirm/", {"code": sen.sent[-1]})
    assert r.status_code == 302
    reg = SenRegistration.objects.get()
    assert reg.clerk_name == sen.clerk.display_name and reg.centre == sen.clerk.organisation
    pdf = client.get(f"/staff/sen/registration/{reg.pk}/printout.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_A37_10_the_institution_records_the_documents(client, sen):
    sen.schedule()
    reg = sen.register(0)
    sign_in(client, sen.admin)
    assert reg.number in client.get("/staff/sen/institution/").content.decode()
    page = client.get(f"/staff/sen/institution/{reg.pk}/")
    assert page.status_code == 200
    r = client.post(
        f"/staff/sen/institution/{reg.pk}/",
        {"kind": "conclusion", "received_on": TODAY.isoformat(), "signatures": "2"},
    )
    assert r.status_code == 200 and 'id="error-summary"' in r.content.decode()
    r = client.post(
        f"/staff/sen/institution/{reg.pk}/",
        {"kind": "conclusion", "received_on": TODAY.isoformat(), "signatures": "3"},
    )
    assert r.status_code == 302 and reg.documents.count() == 1


def test_A40_4_the_commission_scores_the_trial_on_the_ministers_form_page(client, sen):
    regs = registered(sen, 1)
    inst = sen.world["inst_a"]
    sen.hosts({regs[0]: inst})
    services.create_commission(
        sen.admin, inst, sen.round, "primary", act_number="1", members=[sen.commission_member]
    )
    sign_in(client, sen.commission_member)
    code = sen.programmes[0].code
    assert client.get("/staff/sen/host/").status_code == 200
    url = f"/staff/sen/host/{regs[0].pk}/trial/{code}/"
    page = client.get(url).content.decode()
    assert "large print" in page or "გადიდებული" in page  # the conclusion's environment
    activity = services.current_form(sen.programmes[0]).activities.get()
    assert activity.name in page and "(0-10)" in page  # A40.4: the minister's form
    post = {
        "tested_on": TODAY.isoformat(),
        "minutes": "45",
        "recommended": "1",
        "reasons": "გათვალისწინებულია.",
        "documents_analysis": "დასკვნა და ცნობები წარმოდგენილია.",
    }
    r = client.post(url, post)  # A40.4: the activity is missing
    assert r.status_code == 200 and "error-summary" in r.content.decode()
    assert f"«{activity.name}»" in r.content.decode()
    r = client.post(url, {**post, f"activity_{activity.pk}": "11"})  # outside the form's range
    assert r.status_code == 200 and f"«{activity.name}»" in r.content.decode()
    assert not Trial.objects.exists()
    r = client.post(url, {**post, f"activity_{activity.pk}": "7"})
    assert r.status_code == 302, r.content.decode()[-3000:]
    assert Trial.objects.get().total == 7
    assert Trial.objects.get().documents_analysis == "დასკვნა და ცნობები წარმოდგენილია."  # A40.7
    r = client.post("/staff/sen/host/send/", {"confirmed": "yes"})
    assert Trial.objects.get().sent_on == TODAY


def test_A40_9_the_ministry_publishes_the_act_after_a_confirmation(client, sen):
    regs = registered(sen, 2)
    inst, p = tried(sen, regs)
    services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY)
    sign_in(client, sen.distributor)
    page = client.get("/staff/sen/ministry/distribution/").content.decode()
    assert regs[0].number in page
    r = client.post(
        "/staff/sen/ministry/distribution/",
        {"number": "SEN-1", f"place-{regs[0].pk}": p.code, f"place-{regs[1].pk}": p.code},
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    act = Act.objects.get()
    client.logout()
    sign_in(client, sen.officer)
    assert client.get(f"/staff/sen/ministry/act/{act.pk}/").status_code == 200
    r = client.post(f"/staff/sen/ministry/act/{act.pk}/")
    assert r.status_code == 302
    act.refresh_from_db()
    public = client.get(f"/sen/acts/{act.token}/").content.decode()
    assert act.number in public
    assert regs[0].applicant.personal_number not in public
    pdf = client.get(f"/sen/acts/{act.token}/act.pdf")
    assert pdf.content.startswith(b"%PDF-")
    assert act.number in client.get("/sen/acts/").content.decode()
