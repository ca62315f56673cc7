"""SMS through a pluggable backend, chosen by settings.KARI_SMS:

- `kari.sms.FileOutboxBackend` (the demo's default): appends each message as a JSON line to a
  file, where a developer (or a test) reads it;
- `kari.sms.HttpGatewayBackend`: POSTs {"to", "text"} as JSON to an SMS gateway's URL with a
  bearer token.

Messages are sent only after the transaction commits (`sms_on_commit`).
"""

import json
import logging
import threading
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)
_lock = threading.Lock()


class FileOutboxBackend:
    def __init__(self, path):
        self.path = Path(path)

    def send(self, phone: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": timezone.now().isoformat(), "to": phone, "text": text}, ensure_ascii=False
        )
        with _lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    def messages(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(x) for x in self.path.read_text("utf-8").splitlines() if x.strip()]


class HttpGatewayBackend:
    def __init__(self, url, token="", timeout=10):
        if not str(url).startswith(("https://", "http://")):
            raise ValueError("KARI_SMS OPTIONS url must be an http(s) URL")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": phone, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is checked to be http(s)
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise OSError(f"SMS gateway answered {response.status}")


def get_backend():
    conf = settings.KARI_SMS
    return import_string(conf["BACKEND"])(**conf.get("OPTIONS", {}))


def sms_on_commit(phone: str, text: str) -> None:
    if not phone:
        return

    def send():
        try:
            get_backend().send(phone, text)
        except Exception:  # the change is committed; a failed notice must not turn it into an error
            log.exception("SMS could not be sent")

    transaction.on_commit(send)
