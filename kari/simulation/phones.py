"""The simulated applicants' phones: an SMS backend (settings.KARI_SMS) that keeps each
number's messages in memory, so a simulated applicant reads the one-time code Kari sent them
exactly as a real one reads it on their phone."""

import re
from collections import defaultdict

INBOX: dict[str, list[str]] = defaultdict(list)
CODE = re.compile(r"one-time code: (\d{6})")  # registration.services.CODE_TEXT, English part


def _key(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-9:]


class SimulatedPhones:
    def __init__(self, **options):
        pass

    def send(self, phone: str, text: str, key: str = "") -> str:
        INBOX[_key(phone)].append(text)
        return "delivered to the simulated phone"


def last_code(phone: str) -> str:
    """The last one-time code sent to ``phone``, and nothing else is read from it: the phone
    is emptied. Kari sends it right after the commit; inside an outer transaction (a test)
    there is no commit yet, and the worker's round (``deliver_due``) sends it."""
    for attempt in range(2):
        texts = INBOX.pop(_key(phone), [])
        for text in reversed(texts):
            m = CODE.search(text)
            if m:
                return m.group(1)
        if attempt == 0:
            from kari.outbox.delivery import deliver_due

            deliver_due("simulation", limit=10**6)
    raise LookupError("no code was sent to this phone")


def reset() -> None:
    INBOX.clear()
