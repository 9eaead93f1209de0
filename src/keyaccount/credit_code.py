"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

18 characters from a 31-symbol alphabet (digits and capitals without I, O, S, V, Z):
registration authority (1), organisation type (1), administrative division (6 digits),
organisation code (9), check character (1). The check character makes the weighted sum of
all 18 values divisible by 31, with weights 3**i mod 31.
"""

from __future__ import annotations

from keyaccount.errors import ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Upper-case and strip spaces and hyphens people type into forms."""
    return code.strip().upper().replace(" ", "").replace("-", "")


def validate(code: str, field: str = "credit_code") -> str:
    """Return the normalised code or raise ``ValidationError`` saying what is wrong with it."""
    if not isinstance(code, str):
        raise ValidationError(field, code, "must be an 18-character 统一社会信用代码")
    text = normalise(code)
    if len(text) != 18:
        raise ValidationError(field, code, f"must have 18 characters, has {len(text)}")
    bad = [c for c in text if c not in _VALUE]
    if bad:
        raise ValidationError(
            field, code, f"character {bad[0]!r} is not allowed (I, O, S, V, Z never appear)"
        )
    if not text[2:8].isdigit():
        raise ValidationError(
            field, code, "characters 3-8 must be the administrative division digits"
        )
    expected = check_character(text[:17])
    if text[17] != expected:
        raise ValidationError(
            field, code, f"check character should be {expected!r}, is {text[17]!r}"
        )
    return text


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except ValidationError:
        return False
    return True


def make(first17: str) -> str:
    """Complete a 17-character body with its check character (demo data and tests use this)."""
    body = normalise(first17)
    if len(body) != 17 or any(c not in _VALUE for c in body):
        raise ValidationError("credit_code", first17, "body must be 17 characters of the alphabet")
    return body + check_character(body)
