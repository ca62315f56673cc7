"""The client's address, for rate limits and the audit log (issue 11, point 4).

Behind reverse proxies `REMOTE_ADDR` is the last proxy's address, so every applicant would
share one budget. `KARI_TRUSTED_PROXIES` says how many proxies in front of Kari append to
`X-Forwarded-For`; the client is the address the outermost trusted proxy saw, i.e. the
N-th entry from the right. Entries further left are whatever the client sent and are never
trusted. With no trusted proxies (the default) the header is ignored.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = int(getattr(settings, "KARI_TRUSTED_PROXIES", 0) or 0)
    if trusted <= 0:
        return remote
    forwarded = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
    ]
    if len(forwarded) < trusted:
        return remote  # not through the expected proxies: the header cannot be trusted
    candidate = forwarded[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
