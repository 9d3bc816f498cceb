"""Standard Webhooks signing and verification (T19), secrets hygiene, public surface."""

from __future__ import annotations

import base64
import hmac

import pytest

import sinks.webhooks as wh
from sinks.webhooks import SignatureError, _signing, sign, signature_headers, verify

# The Standard Webhooks specification's published test vector.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TS, SPEC_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
SPEC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
SECRET = wh.generate_secret()
OTHER = wh.generate_secret()
NOW = 1_700_000_000
BODY = b'{"kind":"alert","alert_id":"abc","state":"firing"}'


def headers(body: bytes = BODY, ts: int = NOW, secrets=(SECRET,), msg_id: str = "msg_1"):
    return signature_headers(msg_id, ts, body, list(secrets))


def test_errors_are_value_errors():  # the public names are pinned in test_public_names
    for exc in (SignatureError, wh.UnsafeDestinationError, wh.WebhookConfigError):
        assert issubclass(exc, ValueError)


def test_spec_test_vector():
    assert sign(SPEC_ID, SPEC_TS, SPEC_BODY, SPEC_SECRET) == SPEC_SIG
    hdrs = {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TS), "webhook-signature": SPEC_SIG}
    assert verify(hdrs, SPEC_BODY, SPEC_SECRET, now=SPEC_TS + 10)


def test_raw_secret_is_accepted():
    raw = "a-raw-secret-of-at-least-24-bytes"
    assert verify(headers(secrets=[raw]), BODY, raw, now=NOW)
    with pytest.raises(SignatureError):
        verify(headers(secrets=[raw]), BODY, SECRET, now=NOW)


def test_roundtrip_and_header_case_insensitive():
    hdrs = {k.title(): v for k, v in headers().items()}
    assert verify(hdrs, BODY, SECRET, now=NOW)


@pytest.mark.parametrize("index", [0, len(BODY) // 2, len(BODY) - 1])
def test_one_byte_tampered_body_rejected(index):
    tampered = bytearray(BODY)
    tampered[index] ^= 0x01
    with pytest.raises(SignatureError, match="no matching"):
        verify(headers(), bytes(tampered), SECRET, now=NOW)


@pytest.mark.parametrize(
    "offset, ok",
    [(-301, False), (301, False), (-299, True), (299, True), (-86400, False), (86400, False)],
)
def test_timestamp_tolerance_both_directions(offset, ok):
    hdrs = headers(ts=NOW + offset)
    if ok:
        assert verify(hdrs, BODY, SECRET, now=NOW)
    else:
        with pytest.raises(SignatureError, match="tolerance"):
            verify(hdrs, BODY, SECRET, now=NOW)


def test_timestamp_cannot_be_swapped_under_a_valid_signature():
    hdrs = headers(ts=NOW - 1000)
    hdrs["webhook-timestamp"] = str(NOW)
    with pytest.raises(SignatureError):
        verify(hdrs, BODY, SECRET, now=NOW)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_rejected(missing):
    hdrs = headers()
    del hdrs[missing]
    with pytest.raises(SignatureError, match="missing"):
        verify(hdrs, BODY, SECRET, now=NOW)


@pytest.mark.parametrize("bad", ["", "v1,", "v2," + "A" * 44, "v1,not-base64", "garbage"])
def test_malformed_signature_rejected(bad):
    hdrs = headers()
    hdrs["webhook-signature"] = bad
    with pytest.raises(SignatureError):
        verify(hdrs, BODY, SECRET, now=NOW)


def test_wrong_secret_and_wrong_id_rejected():
    with pytest.raises(SignatureError):
        verify(headers(), BODY, OTHER, now=NOW)
    hdrs = headers()
    hdrs["webhook-id"] = "msg_2"
    with pytest.raises(SignatureError):
        verify(hdrs, BODY, SECRET, now=NOW)


def test_rotation_both_directions():
    both = headers(secrets=(OTHER, SECRET))
    assert len(both["webhook-signature"].split()) == 2
    assert verify(both, BODY, SECRET, now=NOW) and verify(both, BODY, OTHER, now=NOW)
    assert verify(headers(secrets=(OTHER,)), BODY, [SECRET, OTHER], now=NOW)


def test_constant_time_compare_is_used(monkeypatch):
    calls, real = [], hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(_signing.hmac, "compare_digest", spy)
    verify(headers(), BODY, SECRET, now=NOW)
    assert calls


def test_generated_secret_and_secret_hiding():
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    assert SECRET.startswith("whsec_") and len(key) == 32 and SECRET != OTHER
    s = wh.Secret(SECRET)
    assert SECRET not in repr(s) and SECRET not in str(s) and s.reveal() == SECRET
    dest = wh.Destination("d", "generic", "https://hooks.example.com/p?token=abc", [SECRET])
    text = repr(dest) + str(dest)
    assert SECRET not in text and "token" not in text and "/p" not in text
    assert "hooks.example.com" in text


def test_bad_whsec_secret_message_does_not_echo_it():
    with pytest.raises(wh.WebhookConfigError) as err:
        sign("m", 1, b"", "whsec_%%%notbase64")
    assert "notbase64" not in str(err.value)
