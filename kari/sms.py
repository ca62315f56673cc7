"""SMS through a pluggable backend, chosen by settings.KARI_SMS:

- `kari.sms.FileOutboxBackend` (the demo's default): appends each message as a JSON line to a
  file, where a developer (or a test) reads it;
- `kari.sms.HttpGatewayBackend`: POSTs {"to", "text"} as JSON to an SMS gateway's URL with a
  bearer token.

``sms_on_commit`` writes the message to the outbox (:mod:`kari.outbox`) in the caller's
transaction; it is sent after the commit, with retries by the worker. ``key`` is the outbox
row's idempotency key: the HTTP gateway gets it as the ``Idempotency-Key`` header.
"""

import datetime as dt
import fcntl
import json
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from kari.outbox.delivery import enqueue
from kari.outbox.models import Channel


class FileOutboxBackend:
    def __init__(self, path):
        self.path = Path(path)

    def send(self, phone: str, text: str, key: str = "") -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": timezone.now().isoformat(), "to": phone, "text": text, "key": key},
            ensure_ascii=False,
        )
        with self.path.open("a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # the web and the workers append to one file
            f.write(line + "\n")
        return "written to the file outbox"

    def messages(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(x) for x in self.path.read_text("utf-8").splitlines() if x.strip()]


class HttpGatewayBackend:
    def __init__(self, url, token="", timeout=10):
        if not str(url).startswith(("https://", "http://")):
            raise ValueError("KARI_SMS OPTIONS url must be an http(s) URL")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str, key: str = "") -> str:
        body = json.dumps({"to": phone, "text": text}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(  # noqa: S310 - the URL is checked to be http(s)
            self.url, data=body, method="POST", headers=headers
        )
        # urlopen raises HTTPError for an error status: the outbox retries it later
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return f"{response.status} {response.read(500).decode('utf-8', 'replace')}".strip()


# The GSM 03.38 basic alphabet: a text of these characters only goes as 7-bit (160 a message,
# 153 a part of a longer one); anything else (Georgian) as UCS-2 (70, or 67 a part).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")


def segments(text: str) -> int:
    """How many SMS a text takes (a long text is sent as parts of a concatenated message)."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if units <= 70 else -(-units // 67)


def get_backend():
    conf = settings.KARI_SMS
    return import_string(conf["BACKEND"])(**conf.get("OPTIONS", {}))


def sms_on_commit(
    phone: str, text: str, *, secret: bool = False, expires_at: dt.datetime | None = None
) -> None:
    """``secret``: the text holds a one-time code (wiped once sent or at ``expires_at``)."""
    if phone:
        enqueue(Channel.SMS, phone, text, secret=secret, expires_at=expires_at)
