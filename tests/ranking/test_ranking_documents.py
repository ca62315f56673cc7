import pytest

from kari.ranking import services
from kari.ranking.models import SignedDocument
from tests.conftest import sign_in


@pytest.fixture
def signed(rb, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.KARI_MANAGEMENT_SYSTEM = {
        "BACKEND": "kari.management_system.FileManagementSystem",
        "PATH": str(tmp_path / "ms"),
    }
    p = rb.programme("P-1", 5)
    other = rb.programme("B-9", 5, institution=rb.world["inst_b"])
    for i in range(4):
        rb.applicant(30 - i, [p])
    for _ in range(3):
        rb.applicant(20, [p])
    rb.applicant(15, [other])
    ranking = rb.rank(approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        ranking = services.documents.sign_documents(rb.naec, ranking, workers=1)
    return rb, ranking, p, other


def test_A27_5_signed_pdf_is_intact_and_signed_by_naec_and_one_byte_fails(signed):
    from kari.accounts.signing import signing_body, verify_document

    rb, ranking, p, _other = signed
    doc = ranking.documents.get(programme=p)
    pdf = bytes(doc.content)
    result = verify_document(pdf)
    assert result.ok and signing_body(result) == rb.naec.organisation
    assert "27.5" in result.reason
    changed = bytearray(pdf)
    at = pdf.index(b"/Type /Page") + 2
    changed[at] ^= 0x01
    assert not verify_document(bytes(changed)).ok
    kinds = sorted(ranking.documents.values_list("kind", flat=True))
    assert kinds == ["programme", "programme", "summary", "xlsx"]
    assert ranking.documents_sent_at is not None


def test_A27_5_ranking_verify_command_fails_on_a_changed_byte(signed, tmp_path):
    from django.core.management import CommandError, call_command

    _rb, ranking, p, _other = signed
    pdf = bytes(ranking.documents.get(programme=p).content)
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x20
    bad.write_bytes(bytes(tampered))
    call_command("ranking", "verify", str(good))
    with pytest.raises(CommandError, match="NOT VALID"):
        call_command("ranking", "verify", str(bad))


def test_A27_5_an_institution_downloads_only_its_own_signed_lists(signed, client):
    rb, ranking, p, other = signed
    sign_in(client, rb.admin)
    page = client.get(f"/ranking/documents/?round={rb.round.pk}").content.decode()
    mine = ranking.documents.get(programme=p)
    theirs = ranking.documents.get(programme=other)
    assert f"/ranking/documents/{mine.pk}/" in page and f"/documents/{theirs.pk}/" not in page
    r = client.get(f"/ranking/documents/{mine.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert client.get(f"/ranking/documents/{theirs.pk}/").status_code == 403
    summary = ranking.documents.get(kind=SignedDocument.Kind.SUMMARY)
    assert client.get(f"/ranking/documents/{summary.pk}/").status_code == 403
    public = client.get(f"/results/{rb.round.pk}/ranking.pdf")
    assert public.status_code == 200 and bytes(public.content) == bytes(summary.content)


def test_A27_6_emis_enters_the_ranking_through_the_adapter_and_confirms(signed):
    from kari.errors import RuleError
    from kari.management_system import State, get_management_system

    rb, ranking, _p, _other = signed
    ranking = services.documents.enter_into_management_system(rb.emis, ranking)
    assert ranking.entry_receipt.startswith("ranking-")
    system = get_management_system()
    system.record_status(ranking.entry_receipt, State.REJECTED, "unknown programme")
    with pytest.raises(RuleError, match="unknown programme"):
        services.documents.confirm_entry(rb.emis, ranking)
    system.record_status(ranking.entry_receipt, State.ENTERED)
    ranking = services.documents.confirm_entry(rb.emis, ranking)
    assert ranking.entry_confirmed_at is not None


def test_A27_5_in_a_pool_the_documents_are_the_same_and_the_summary_carries_the_xlsx(
    rb, monkeypatch
):
    import hashlib

    from kari.audit.models import AuditEntry
    from kari.tabular import read_table

    monkeypatch.setattr(services.documents, "POOL_FROM", 0)  # the pool even for two lists
    p = rb.programme("P-1", 2)
    other = rb.programme("B-9", 5, institution=rb.world["inst_b"])
    rb.programme("C-0", 5)  # nobody chose it: in the summary, no PDF of its own
    for i in range(3):
        rb.applicant(30 - i, [p, other])
    ranking = rb.rank(approve=True)
    timings: dict = {}
    ranking = services.documents.sign_documents(rb.naec, ranking, workers=2, timings=timings)
    assert {"read", "xlsx", "summary", "wait", "store"} <= set(timings)
    docs = {(d.kind, d.programme_id): bytes(d.content) for d in ranking.documents.all()}
    assert set(docs) == {
        ("programme", p.pk),
        ("programme", other.pk),
        ("summary", None),
        ("xlsx", None),
    }
    from kari.accounts.signing import verify_document

    assert all(verify_document(docs["programme", k]).ok for k in (p.pk, other.pk))
    xlsx = docs["xlsx", None]
    _headers, rows = read_table(xlsx, "xlsx")
    assert [(r["programme"], r["score"], r["choice"]) for _n, r in rows] == [
        ("B-9", "28.000", "2"),
        ("P-1", "30.000", "1"),
        ("P-1", "29.000", "1"),
    ]
    entry = AuditEntry.objects.get(action="ranking.documents")
    assert entry.after["xlsx_sha256"] == hashlib.sha256(xlsx).hexdigest()
    assert entry.after["summary_sha256"] == hashlib.sha256(docs["summary", None]).hexdigest()
