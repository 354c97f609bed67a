"""Which new passwords are accepted: 12..128 characters taken as typed (no
trimming, no case folding, no composition rules), and none of the most
common passwords (OWASP ASVS 6.2)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 128

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

# Stripped from the end before a second look-up, so that "password1234" or
# "monkey!!!!!!!!" count as the common password they are built on. Stems
# shorter than this ("a", "p" are in the list) say nothing.
_SUFFIX_CHARACTERS = "0123456789!@#$%^&*?.,;:-_+=~ "
_MIN_STEM_LENGTH = 4


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("# "))


def is_common_password(password: str) -> bool:
    """The list is lower-cased, so the comparison ignores case."""
    candidate = password.lower()
    known = common_passwords()
    if candidate in known:
        return True
    stem = candidate.rstrip(_SUFFIX_CHARACTERS)
    return len(stem) >= _MIN_STEM_LENGTH and stem != candidate and stem in known
