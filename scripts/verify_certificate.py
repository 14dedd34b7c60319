#!/usr/bin/env python3
"""Verify a certificate's QR code offline (M§18), with nothing but the `cryptography` package.

    python scripts/verify_certificate.py 'https://…/verify/IETS-2026-000002/?t=KID.PAYLOAD.SIG' \\
        --keys keys.json

`keys.json` is the answer of GET /api/v1/public/keys/ saved once while online
({"algorithm": "Ed25519", "keys": {"<kid>": "<base64 public key>"}}). Prints the signed facts
and exits 0 when the signature holds, 1 when it does not. Whether the certificate is still
valid (not suspended, revoked or superseded) only the portal can say: open the URL.
"""

import argparse
import base64
import json
import sys
from urllib.parse import parse_qs, urlparse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_of(value: str) -> str:
    if "://" in value:
        return parse_qs(urlparse(value).query).get("t", [""])[0]
    return value


def verify(token: str, keys: dict[str, str]) -> dict:
    kid, payload_b64, signature_b64 = token.split(".")
    if kid not in keys:
        raise InvalidSignature(f"unknown key id {kid!r}")
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys[kid]))
    key.verify(b64d(signature_b64), f"{kid}.{payload_b64}".encode())
    return json.loads(b64d(payload_b64))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("token", help="the QR code's URL or its t= token")
    parser.add_argument("--keys", required=True, help="JSON saved from /api/v1/public/keys/")
    args = parser.parse_args(argv)
    with open(args.keys, encoding="utf-8") as handle:
        keys = json.load(handle)["keys"]
    try:
        facts = verify(token_of(args.token), keys)
    except (InvalidSignature, ValueError) as exc:
        print(f"NOT GENUINE: {str(exc) or 'signature does not verify'}")
        return 1
    names = {
        "n": "number",
        "v": "version",
        "u": "uscc",
        "k": "kind",
        "g": "grade",
        "i": "issued_on",
        "e": "expires_on",
    }
    print("GENUINE: signed by the IETS portal")
    for key, name in names.items():
        print(f"  {name}: {facts.get(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
