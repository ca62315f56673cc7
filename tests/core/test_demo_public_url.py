"""Issue 19, point 4: the demo sets KARI_PUBLIC_URL to the address it serves, so every link
and QR code it makes works."""

from kari.demo.management.commands.demo import served_url


def test_the_public_url_is_the_served_address():
    assert served_url("127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert served_url("127.0.0.1:8123") == "http://127.0.0.1:8123"
    assert served_url("8123") == "http://127.0.0.1:8123"
    assert served_url("0.0.0.0:8100") == "http://127.0.0.1:8100"
    assert served_url("kari.local:9000") == "http://kari.local:9000"
