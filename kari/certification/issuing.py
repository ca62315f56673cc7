"""Certificates (C4): numbered, signed as Open Badges 3.0 credentials with the organisation's
Ed25519 key, revocable through a public Bitstring Status List."""

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.audit.log import record
from kari.credentials import keys, status, vc
from kari.errors import RuleError

from .models import Certificate, SigningKey

STATUS_LIST_LENGTH = 131072


SEALED = b"kari-sealed:v1:"


def _fernet() -> Fernet:
    """The key that encrypts signing keys at rest: from the environment
    (KARI_KEY_ENCRYPTION_KEY, else derived from KARI_SECRET_KEY), never from the database."""
    material = (settings.KARI_KEY_ENCRYPTION_KEY or settings.SECRET_KEY).encode()
    digest = hashlib.sha256(b"kari-signing-keys:" + material).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(pem: bytes) -> bytes:
    """A private key as stored: encrypted (issue 11, point 6)."""
    return SEALED + _fernet().encrypt(pem)


def unseal(stored) -> bytes:
    blob = bytes(stored)
    if not blob.startswith(SEALED):  # a key stored before keys were sealed
        return blob
    try:
        return _fernet().decrypt(blob[len(SEALED) :])
    except InvalidToken as exc:
        raise RuleError(
            _("The signing key cannot be decrypted: check KARI_KEY_ENCRYPTION_KEY."),
            field="organisation",
        ) from exc


def site_url(path: str) -> str:
    return settings.KARI_PUBLIC_URL.rstrip("/") + path


@transaction.atomic
def generate_key(organisation, actor=None) -> SigningKey:
    """`kari certification keygen ORG`: the organisation's signing key (replaces none)."""
    if SigningKey.objects.filter(organisation=organisation).exists():
        raise RuleError(_("This organisation already has a signing key."), field="organisation")
    private_pem, public = keys.generate()
    key = SigningKey.objects.create(
        organisation=organisation,
        private_pem=seal(private_pem),
        public_multibase=public,
        created_at=timezone.now(),
    )
    record(actor, "cert.keygen", organisation, after={"public_key": public})
    return key


def issuer_id(key: SigningKey) -> str:
    return keys.did_key(key.public_multibase)


NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed


def certificate_number(org_code: str, year: int) -> str:
    """ORG-YEAR-XXXX-XXXX with 40 random bits: a verification page cannot be found by counting
    (issue 11, point 6)."""
    while True:
        r = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
        number = f"{org_code.upper()[:6]}-{year}-{r[:4]}-{r[4:]}"
        if not Certificate.objects.filter(number=number).exists():
            return number


def issue_certificate(app) -> Certificate:
    """Number the certificate, sign its credential and store both (inside the decision's
    transaction)."""
    org = app.call.organisation
    key = SigningKey.objects.filter(organisation=org).first()
    if key is None:
        raise RuleError(
            _("Generate the organisation's signing key first (kari certification keygen)."),
            field="status",
            citation="C4",
        )
    now = timezone.now()
    index = (Certificate.objects.aggregate(m=Max("status_index"))["m"] or 0) + 1
    number = certificate_number(org.code, now.year)
    verify = site_url(reverse("certification:verify", args=[number]))
    achievement = {
        "id": site_url(reverse("certification:call", args=[app.call_id])),
        "name": f"{app.call.programme_ka} — {app.call.title}",
        "description": app.call.description[:500],
        "criteria": app.call.eligibility[:1000] or app.call.description[:1000],
    }
    did = issuer_id(key)
    credential = vc.build_credential(
        credential_id=verify,
        issuer={"id": did, "name": org.name_ka, "url": site_url("/")},
        subject_name=app.applicant.full_name_ka,
        achievement=achievement,
        valid_from=now.replace(microsecond=0).isoformat(),
        status={
            "id": f"{site_url(reverse('certification:status_list', args=[org.code]))}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": site_url(reverse("certification:status_list", args=[org.code])),
        },
    )
    signed = vc.sign(credential, unseal(key.private_pem), f"{did}#{key.public_multibase}")
    cert = Certificate.objects.create(
        application=app, number=number, status_index=index, issued_at=now, credential=signed
    )
    record(None, "cert.issue", cert, organisation=org, after={"number": number})
    return cert


def status_list(organisation) -> dict:
    """The signed public status list of the organisation's revoked certificates."""
    key = SigningKey.objects.get(organisation=organisation)
    revoked = set(
        Certificate.objects.filter(
            application__call__organisation=organisation, revoked_at__isnull=False
        ).values_list("status_index", flat=True)
    )
    url = site_url(reverse("certification:status_list", args=[organisation.code]))
    did = issuer_id(key)
    unsigned = status.status_list_credential(
        url, {"id": did, "name": organisation.name_ka}, status.encode(revoked, STATUS_LIST_LENGTH)
    )
    return vc.sign(unsigned, unseal(key.private_pem), f"{did}#{key.public_multibase}")
