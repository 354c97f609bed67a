from __future__ import annotations

from pathlib import Path

from mana_core_auth.security.keys import (
    generate_private_key,
    private_key_pem,
    public_jwk,
    public_key_pem,
)


def generate_keys(algorithm: str = "EdDSA", out: str = "") -> None:
    """
    Generate a signing key pair for access tokens (for production).

    :param algorithm: EdDSA (Ed25519, default) or RS256.
    :param out: write PRIVATE.pem and PRIVATE.pub.pem here instead of printing.
    """
    if algorithm not in ("EdDSA", "RS256"):
        raise SystemExit("algorithm must be EdDSA or RS256")
    key = generate_private_key(algorithm)
    private_pem = private_key_pem(key)
    public_pem = public_key_pem(key.public_key())
    kid = public_jwk(key.public_key())["kid"]
    if out:
        private_path = Path(out)
        private_path.touch(mode=0o600, exist_ok=False)
        private_path.write_bytes(private_pem)
        public_path = private_path.with_suffix(".pub.pem")
        public_path.write_bytes(public_pem)
        print(f"kid {kid}\nprivate key: {private_path}\npublic key: {public_path}")
        print(f"Set JWT_PRIVATE_KEY_FILE={private_path} JWT_ALGORITHM={algorithm}")
        return
    print(private_pem.decode() + public_pem.decode() + f"kid {kid}")
