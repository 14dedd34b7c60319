"""M§18 anti-forgery: the QR token `kid.payload.sig` signed with Ed25519; hostile tokens are
read without raising; key rotation keeps old certificates verifiable; the published public keys
verify tokens with nothing but the cryptography package, also offline with the shipped script."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.checks import run_checks
from django.urls import reverse
from rest_framework.test import APIClient

from certificates import signing
from certificates.signing import MAX_TOKEN_LENGTH, Checked, b64d, b64e, sign_facts, verify_token

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_certificate.py"

FACTS = {
    "n": "IETS-2026-000007",
    "v": 1,
    "u": "91110108MA40000003",
    "k": "grade",
    "g": "IETS-3",
    "i": "2026-03-10",
    "e": "2029-03-10",
}
OLD_SEED = bytes(range(32))
NEW_SEED = bytes(range(100, 132))
FOREIGN_SEED = bytes(range(200, 232))


def public_b64(seed: bytes) -> str:
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return base64.b64encode(raw.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def clear_key_caches():
    signing._private_key.cache_clear()
    signing.public_keys.cache_clear()


@pytest.fixture
def keys(settings):
    """Switch the signing key (and retired keys) for one test; the caches follow."""

    def use(seed: bytes, kid: str, retired: tuple[str, ...] = ()):
        settings.CERTIFICATE_SIGNING_KEY = base64.b64encode(seed).decode()
        settings.CERTIFICATE_SIGNING_KEY_ID = kid
        settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = list(retired)
        clear_key_caches()

    clear_key_caches()
    yield use
    clear_key_caches()


def encode(payload: bytes | str, kid="k1", sig="c2ln") -> str:
    raw = payload.encode() if isinstance(payload, str) else payload
    return f"{kid}.{b64e(raw)}.{sig}"


def forged(facts: dict, kid: str, seed: bytes) -> str:
    """A token made exactly like the portal's, but with another private key."""
    payload = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    message = f"{kid}.{b64e(payload.encode())}"
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(message.encode())
    return f"{message}.{b64e(signature)}"


# ---- round trip


def test_sign_facts_round_trip_verifies_with_the_current_key(keys):
    keys(NEW_SEED, "k2026")

    token = sign_facts(FACTS)

    assert token.startswith("k2026.")
    assert json.loads(b64d(token.split(".")[1])) == FACTS
    assert verify_token(token) == Checked(True, True, FACTS, "k2026")


def test_sign_facts_is_deterministic_and_compact(keys):
    keys(NEW_SEED, "k2026")

    assert sign_facts(FACTS) == sign_facts(dict(reversed(FACTS.items())))
    assert len(sign_facts(FACTS)) < MAX_TOKEN_LENGTH


def test_development_key_is_derived_from_the_secret_key(settings, keys):
    settings.CERTIFICATE_SIGNING_KEY = ""
    settings.CERTIFICATE_SIGNING_KEY_ID = ""
    clear_key_caches()
    token = sign_facts(FACTS)

    assert token.split(".")[0] == "dev"
    assert verify_token(token) == Checked(True, True, FACTS, "dev")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    clear_key_caches()
    assert verify_token(token) == Checked(True, False, FACTS, "dev")


# ---- tampering: never raises, never passes


def _swap(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_changed_payload_is_well_formed_but_not_signed(keys):
    keys(NEW_SEED, "k2026")
    kid, _, sig = sign_facts(FACTS).split(".")
    better = {**FACTS, "g": "IETS-1"}
    payload = json.dumps(better, sort_keys=True, separators=(",", ":"))

    assert verify_token(f"{kid}.{b64e(payload.encode())}.{sig}") == Checked(
        True, False, better, "k2026"
    )


def test_changed_payload_character_is_never_signed(keys):
    keys(NEW_SEED, "k2026")
    kid, payload, sig = sign_facts(FACTS).split(".")

    for index in range(len(payload)):
        checked = verify_token(f"{kid}.{_swap(payload, index)}.{sig}")
        assert checked.signed_by_portal is False, index


@pytest.mark.parametrize("index", [0, 10, 42, 85])
def test_changed_signature_is_not_signed(keys, index):
    keys(NEW_SEED, "k2026")
    kid, payload, sig = sign_facts(FACTS).split(".")

    assert verify_token(f"{kid}.{payload}.{_swap(sig, index)}") == Checked(
        True, False, FACTS, "k2026"
    )


@pytest.mark.parametrize(
    ("signature", "well_formed"), [("", True), ("!!!!", True), ("中文", False), ("a", False)]
)
def test_signature_that_is_not_base64_is_not_signed(keys, signature, well_formed):
    keys(NEW_SEED, "k2026")
    kid, payload, _ = sign_facts(FACTS).split(".")

    expected = Checked(True, False, FACTS, "k2026") if well_formed else Checked(False, False, None)
    assert verify_token(f"{kid}.{payload}.{signature}") == expected


def test_signature_of_another_token_is_not_signed(keys):
    keys(NEW_SEED, "k2026")
    kid, payload, _ = sign_facts(FACTS).split(".")
    other_sig = sign_facts({**FACTS, "v": 2}).split(".")[2]

    assert verify_token(f"{kid}.{payload}.{other_sig}") == Checked(True, False, FACTS, "k2026")


def test_changed_kid_is_not_signed(keys):
    keys(NEW_SEED, "k2026", retired=(f"k2025:{public_b64(OLD_SEED)}",))
    _, payload, sig = sign_facts(FACTS).split(".")

    # An unknown key id, and the id of a real (retired) key: the id is part of what is signed.
    assert verify_token(f"nokey.{payload}.{sig}") == Checked(True, False, FACTS, "nokey")
    assert verify_token(f"k2025.{payload}.{sig}") == Checked(True, False, FACTS, "k2025")


def test_token_signed_with_a_foreign_key_under_the_portals_kid_is_not_signed(keys):
    keys(NEW_SEED, "k2026")

    assert verify_token(forged(FACTS, "k2026", FOREIGN_SEED)) == Checked(
        True, False, FACTS, "k2026"
    )


def test_truncated_token_is_never_signed(keys):
    keys(NEW_SEED, "k2026")
    token = sign_facts(FACTS)

    for end in range(len(token)):
        checked = verify_token(token[:end])
        assert checked.signed_by_portal is False, end
    assert verify_token(token[:-4]) == Checked(True, False, FACTS, "k2026")
    assert verify_token(token[: token.rindex(".")]) == Checked(False, False, None)


@pytest.mark.parametrize(
    "shape",
    [
        "{token}.",
        ".{token}",
        "{token}.extra",
        "{token}.{token}",
        "{token}..",
        "a.b.c.d",
        "..",
        "...",
        "a.b",
        "ab",
    ],
)
def test_token_with_other_than_three_parts_or_empty_parts_is_not_well_formed(keys, shape):
    keys(NEW_SEED, "k2026")

    assert verify_token(shape.format(token=sign_facts(FACTS))) == Checked(False, False, None)


@pytest.mark.parametrize(
    "payload",
    [
        "!!!!",
        "****",
        "中文字符",
        "%00%00",
        "a",  # one character more than a multiple of 4: not base64 at all
        b64e(b"\xff\xfe\xfd"),  # not UTF-8
        b64e(b"not json"),
        b64e(b'{"n": "IETS-2026-000007",'),
        b64e(b"[" * 200),
    ],
)
def test_payload_that_is_not_base64_json_is_not_well_formed(keys, payload):
    keys(NEW_SEED, "k2026")
    kid, _, sig = sign_facts(FACTS).split(".")

    assert verify_token(f"{kid}.{payload}.{sig}") == Checked(False, False, None)


@pytest.mark.parametrize(
    "document", ["[]", "[1, 2]", "null", "1", "true", '"IETS-2026-000007"', "[" * 150 + "]" * 150]
)
def test_payload_json_that_is_not_an_object_is_not_well_formed(document):
    assert verify_token(encode(document)) == Checked(False, False, None)


@pytest.mark.parametrize("missing", sorted(FACTS))
def test_payload_missing_a_field_is_not_well_formed(keys, missing):
    keys(NEW_SEED, "k2026")
    facts = {k: v for k, v in FACTS.items() if k != missing}

    # even signed with the portal's own key
    assert verify_token(forged(facts, "k2026", NEW_SEED)) == Checked(False, False, None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n", 7),
        ("n", None),
        ("v", "1"),
        ("v", 1.0),
        ("v", None),
        ("u", 91110108),
        ("k", ["grade"]),
        ("g", {"grade": "IETS-3"}),
        ("i", 20260310),
        ("e", None),
    ],
)
def test_payload_field_of_the_wrong_type_is_not_well_formed(keys, field, value):
    keys(NEW_SEED, "k2026")

    assert verify_token(forged({**FACTS, field: value}, "k2026", NEW_SEED)) == Checked(
        False, False, None
    )


def test_payload_with_an_extra_field_still_verifies_when_signed(keys):
    keys(NEW_SEED, "k2026")
    facts = {**FACTS, "x": "future field"}

    assert verify_token(forged(facts, "k2026", NEW_SEED)) == Checked(True, True, facts, "k2026")


@pytest.mark.parametrize("token", [None, "", 42, b"k.p.s", ["k", "p", "s"]])
def test_token_that_is_not_a_string_is_not_well_formed(token):
    assert verify_token(token) == Checked(False, False, None)


def test_huge_token_is_refused_before_it_is_read(keys):
    keys(NEW_SEED, "k2026")
    kid, payload, sig = sign_facts(FACTS).split(".")
    padded = {**FACTS, "x": "y" * 600}
    long_but_valid = forged(padded, "k2026", NEW_SEED)

    assert len(long_but_valid) > MAX_TOKEN_LENGTH
    assert verify_token(long_but_valid) == Checked(False, False, None)
    assert verify_token(f"{kid}.{payload}.{sig}{'A' * MAX_TOKEN_LENGTH}") == Checked(
        False, False, None
    )
    assert verify_token("." * 10_000) == Checked(False, False, None)
    assert verify_token("A" * 1_000_000) == Checked(False, False, None)


# ---- rotation


def test_old_token_verifies_after_rotation_while_its_key_is_listed_as_retired(keys):
    keys(OLD_SEED, "k2025")
    old_token = sign_facts(FACTS)

    keys(NEW_SEED, "k2026", retired=(f"k2025:{public_b64(OLD_SEED)}",))

    assert verify_token(old_token) == Checked(True, True, FACTS, "k2025")
    new_token = sign_facts(FACTS)
    assert new_token.split(".")[0] == "k2026"
    assert verify_token(new_token) == Checked(True, True, FACTS, "k2026")


def test_old_token_does_not_verify_once_its_key_is_no_longer_listed(keys):
    keys(OLD_SEED, "k2025")
    old_token = sign_facts(FACTS)

    keys(NEW_SEED, "k2026")

    assert verify_token(old_token) == Checked(True, False, FACTS, "k2025")


def test_retired_key_listed_under_another_id_does_not_verify(keys):
    keys(OLD_SEED, "k2025")
    old_token = sign_facts(FACTS)

    keys(NEW_SEED, "k2026", retired=(f"k2024:{public_b64(OLD_SEED)}",))

    assert verify_token(old_token) == Checked(True, False, FACTS, "k2025")


# ---- published keys and offline verification


def test_public_keys_endpoint_lists_current_and_retired_keys(db, keys):
    keys(NEW_SEED, "k2026", retired=(f"k2025:{public_b64(OLD_SEED)}",))

    response = APIClient().get("/api/v1/public/keys/")

    assert response.status_code == 200
    assert response.json() == {
        "algorithm": "Ed25519",
        "keys": {"k2026": public_b64(NEW_SEED), "k2025": public_b64(OLD_SEED)},
    }


def test_published_keys_verify_tokens_with_the_cryptography_package_alone(db, keys):
    keys(OLD_SEED, "k2025")
    old_token = sign_facts(FACTS)
    keys(NEW_SEED, "k2026", retired=(f"k2025:{public_b64(OLD_SEED)}",))
    new_token = sign_facts({**FACTS, "v": 2})
    published = APIClient().get("/api/v1/public/keys/").json()["keys"]

    for token in (old_token, new_token):
        kid, payload, sig = token.split(".")
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(published[kid]))
        key.verify(b64d(sig), f"{kid}.{payload}".encode())  # raises InvalidSignature if not
    assert json.loads(b64d(new_token.split(".")[1]))["v"] == 2


def run_script(url: str, keys_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), url, "--keys", str(keys_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def keys_file(db, keys, tmp_path):
    """The answer of /api/v1/public/keys/ after a rotation, saved once while online."""
    keys(NEW_SEED, "k2026", retired=(f"k2025:{public_b64(OLD_SEED)}",))
    path = tmp_path / "keys.json"
    path.write_text(APIClient().get("/api/v1/public/keys/").content.decode(), encoding="utf-8")
    return path


def verification_url(token: str, number: str = FACTS["n"]) -> str:
    return f"https://iets.example.cn{reverse('verify-detail', args=[number])}?t={token}"


def test_offline_script_prints_genuine_for_a_real_url(keys_file):
    result = run_script(verification_url(sign_facts(FACTS)), keys_file)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "GENUINE: signed by the IETS portal",
        "  number: IETS-2026-000007",
        "  version: 1",
        "  uscc: 91110108MA40000003",
        "  kind: grade",
        "  grade: IETS-3",
        "  issued_on: 2026-03-10",
        "  expires_on: 2029-03-10",
    ]


def test_offline_script_accepts_a_bare_token_signed_with_a_retired_key(keys_file):
    old_token = forged(FACTS, "k2025", OLD_SEED)  # what the portal signed before the rotation

    result = run_script(old_token, keys_file)

    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "GENUINE: signed by the IETS portal"


def test_offline_script_exits_1_for_a_tampered_url(keys_file):
    kid, _, sig = sign_facts(FACTS).split(".")
    payload = json.dumps({**FACTS, "g": "IETS-1"}, sort_keys=True, separators=(",", ":"))

    result = run_script(verification_url(f"{kid}.{b64e(payload.encode())}.{sig}"), keys_file)

    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "NOT GENUINE: signature does not verify\n",
        "",
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda token: forged(FACTS, "k2026", FOREIGN_SEED), "signature does not verify"),
        (lambda token: "nokey." + token.split(".", 1)[1], "unknown key id 'nokey'"),
        (lambda token: token.rsplit(".", 1)[0], "not enough values to unpack (expected 3, got 2)"),
    ],
)
def test_offline_script_exits_1_for_a_forged_or_broken_token(keys_file, make, message):
    result = run_script(verification_url(make(sign_facts(FACTS))), keys_file)

    assert (result.returncode, result.stdout) == (1, f"NOT GENUINE: {message}\n")


# ---- deployment check


def _certificate_check_ids() -> list[str]:
    return [
        message.id
        for message in run_checks(include_deployment_checks=True)
        if message.id.startswith("certificates.")
    ]


def test_deploy_check_warns_without_a_signing_key(db, settings):
    settings.CERTIFICATE_SIGNING_KEY = ""

    assert _certificate_check_ids() == ["certificates.W001"]


def test_deploy_check_is_quiet_with_a_signing_key(db, keys):
    keys(NEW_SEED, "k2026")

    assert _certificate_check_ids() == []


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("CERTIFICATE_SIGNING_KEY", "not base64!", "certificates.E001"),
        ("CERTIFICATE_SIGNING_KEY", base64.b64encode(b"short").decode(), "certificates.E001"),
        ("CERTIFICATE_RETIRED_PUBLIC_KEYS", ["old:abc"], "certificates.E002"),
        (
            "CERTIFICATE_RETIRED_PUBLIC_KEYS",
            [":" + base64.b64encode(b"x" * 32).decode()],
            "certificates.E002",
        ),
    ],
)
def test_malformed_signing_keys_fail_the_system_checks(settings, setting, value, check_id):
    from django.core.checks import run_checks

    setattr(settings, setting, value)
    assert check_id in {message.id for message in run_checks()}
