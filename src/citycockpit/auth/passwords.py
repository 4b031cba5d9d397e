"""Password hashing (argon2id) and the strength rule."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from citycockpit.core.errors import Unprocessable

_hasher = PasswordHasher()

MIN_LENGTH = 10


class WeakPassword(Unprocessable):
    code = "weak_password"


def check_strength(password: str, *, username: str | None = None) -> None:
    """At least 10 characters from at least three of: lower case, upper case, digits, symbols; not
    containing the user name."""
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if len(password) < MIN_LENGTH or classes < 3:
        raise WeakPassword(
            f"a password needs at least {MIN_LENGTH} characters from three of: "
            "lower case, upper case, digits, symbols",
            rule="too_simple",
            min_length=MIN_LENGTH,
        )
    if username and username.lower() in password.lower():
        raise WeakPassword("the password must not contain the user name", rule="contains_username")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
