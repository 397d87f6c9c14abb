"""Personal information (PIPL): masking for display and export, region scope checks."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D")


def mask_phone(phone: str | None) -> str:
    """``13812345678`` → ``138****5678``; landlines keep area code and last 4 digits.

    >>> mask_phone("13812345678")
    '138****5678'
    >>> mask_phone("0591-87654321")
    '0591****4321'
    """
    if not phone:
        return ""
    text = str(phone).strip()
    digits = _DIGITS.sub("", text)
    if len(digits) < 7:
        return "*" * len(digits)
    if digits.startswith("0"):  # landline: 3–4 digit area code
        head = 4 if len(digits) >= 11 else 3
        return digits[:head] + "****" + digits[-4:]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits[:3] + "****" + digits[-4:]


def mask_name(name: str | None) -> str:
    """Keep the first character of a person's name: ``张三丰`` → ``张**``; ``Li Lei`` → ``L*****``.

    Company names (longer than 6 characters) keep their first 4 characters.

    >>> mask_name("张三丰")
    '张**'
    """
    if not name:
        return ""
    text = str(name).strip()
    keep = 4 if len(text) > 6 else 1
    return text[:keep] + "*" * (len(text) - keep)
