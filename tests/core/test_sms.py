"""SMS backends: the file outbox (demo) and the HTTP gateway, sent only after commit."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import transaction
from django.test import TestCase

from kari import sms


@pytest.fixture
def gateway():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # the stdlib's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Authorization"], json.loads(body)))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send", received
    server.shutdown()


def test_http_gateway_backend_posts_json_with_a_bearer_token(gateway, settings):
    url, received = gateway
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.HttpGatewayBackend",
        "OPTIONS": {"url": url, "token": "secret-token"},
    }
    sms.get_backend().send("+995555123456", "კოდი 123456")
    assert received == [("Bearer secret-token", {"to": "+995555123456", "text": "კოდი 123456"})]


def test_gateway_url_must_be_http():
    with pytest.raises(ValueError):
        sms.HttpGatewayBackend(url="file:///etc/passwd")


@pytest.mark.django_db
def test_sms_waits_for_the_commit_and_is_dropped_on_rollback(tmp_path, settings):
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp_path / "out.jsonl")},
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            sms.sms_on_commit("+995555123456", "rolled back")
            raise RuntimeError
        sms.sms_on_commit("+995555123456", "committed")
    assert [m["text"] for m in sms.get_backend().messages()] == ["committed"]
