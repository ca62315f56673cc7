"""Helpers shared by the verifiable-credential tests (imported as a plain module)."""

from __future__ import annotations

from kari.credentials import keys, status, vc

LIST_URL = "https://kari.example.ge/credentials/status/1"


def make_credential(public: str, **over) -> dict:
    """An unsigned certificate issued by the did:key of ``public`` (C4)."""
    data = dict(
        credential_id="https://kari.example.ge/credentials/3f1c9a2e",
        issuer={
            "id": keys.did_key(public),
            "name": "Solidarity Fund PL in Georgia",
            "url": "https://solidarityfund.example.ge",
        },
        subject_name="ნინო ბერიძე",
        subject_email_hash=vc.hash_email("Nino@example.ge", "s4lt"),
        subject_email_salt="s4lt",
        achievement={
            "id": "https://kari.example.ge/achievements/participation-2025",
            "name": "Certificate in Participation Mechanisms",
            "description": "Analysing, evaluating and monitoring participation mechanisms.",
            "criteria": "Application evaluated by the expert team: experience, motivation, "
            "ability to develop the civic budget (C3).",
            "achievementType": "Certificate",
        },
        valid_from="2025-06-01T10:00:00Z",
        status=status.status_entry(LIST_URL, 42),
    )
    data.update(over)
    return vc.build_credential(**data)
