"""Personal data in text: e-mail addresses, phone numbers, payment cards (Luhn + issuer
prefix), IBANs (country length + mod-97) and US social security numbers.

Regexes find candidates; checksums and number-plan rules reject the look-alikes (order numbers,
dates, versions, IP addresses, IMEIs). Cheap literal checks skip whole detectors when the
text cannot hold a match (no ``@``, no run of digits).
"""

from __future__ import annotations

import re

from detectors.safety._checksums import iban_valid, luhn_valid
from detectors.safety._types import Finding

__all__ = ["find_pii"]

_FILE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "css",
                            "js", "mjs", "json", "txt", "pdf", "html", "htm", "xml", "yaml",
                            "yml", "md", "csv", "zip", "tar", "gz", "exe", "dll", "so"})
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_DOMAIN = re.compile(r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))"
                     r"(?![\w-])")
# Runs of 7+ digits and separators: every card, IBAN, SSN and phone number holds one.
_DIGIT_RUN = re.compile(r"[+(0-9][0-9 ().+/-]{5,}[0-9]")
_LEFT, _RIGHT = 48, 40  # window around a run: keywords before it, IBAN letters on both sides
# Card candidates: 13-19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(r"(?<![\w.,-])\d(?:[ -]?\d){12,18}(?![\w-]|[.,]\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)(\d{3})([- ])(?!00)(\d{2})\2(?!0000)(\d{4})"
                  r"(?![\w-])")
_SSN_KEYWORD = re.compile(r"(?i:\bssn|social security(?: number| no\.?| #)?)\W{0,6}"
                          r"(?!000|666|9\d\d)(\d{3})(?!00)(\d{2})(?!0000)(\d{4})(?!\d)")
_SSN_PUBLIC = frozenset({"123456789", "078051120", "219099999"})  # advertised/void examples
# North American numbers: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, optional +1 / 1-.
_NANP = re.compile(r"(?<![\w+.-])(?:\+?1[ .-]?)?(?:\(([2-9]\d\d)\) ?|([2-9]\d\d)([ .-]))"
                   r"[2-9]\d\d(?(3)\3|[ .-])\d{4}(?![\w-]|\.\d)")
# International: +CC then 6-14 more digits in groups.
_INTL = re.compile(r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,5}\)?){2,6}(?![\w-]|\.\d)")
_PHONE_KEYWORD = re.compile(r"(?i:\b(?:phone|tel|telephone|mobile|cell|fax|call me at|"
                            r"whatsapp)\b)[:.]?\s{0,3}(?P<num>\+?\d[\d ()./-]{5,18}\d)")


def _card_issuer_ok(digits: str) -> bool:
    """Issuer prefixes and lengths of the major networks (Visa, Mastercard, Amex, Discover,
    JCB, Diners, UnionPay, Maestro)."""
    n, p2, p4 = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if p4 == 6011 or p2 == 65 or 644 <= int(digits[:3]) <= 649 or p2 == 62:
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if 300 <= int(digits[:3]) <= 305 or p2 in (36, 38, 39):
        return 14 <= n <= 19
    return p4 in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763) and 12 <= n <= 19


def _emails(text: str, out: list[Finding]) -> None:
    """Around each ``@`` only: the local part is walked back from it, the domain matched
    forward, so the cost is per ``@``, not per character."""
    at = text.find("@")
    while at > 0:
        start = at
        while start > 0 and at - start < 64 and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        while start < at and not text[start].isalnum():
            start += 1  # the local part starts with a letter or digit
        m = _DOMAIN.match(text, at + 1)
        if start < at and m is not None and (start == 0 or text[start - 1] not in _LOCAL_CHARS) \
                and m.group(2).lower() not in _FILE_SUFFIXES:
            out.append(Finding("email", start, m.end()))
        at = text.find("@", at + 1)


def _cards(text: str, pos: int, endpos: int, out: list[Finding]) -> None:
    for m in _CARD.finditer(text, pos, endpos):
        digits = m.group().replace(" ", "").replace("-", "")
        if not (13 <= len(digits) <= 19 and luhn_valid(digits) and _card_issuer_ok(digits)):
            continue
        if "imei" in text[max(0, m.start() - 24):m.start()].lower():
            continue  # IMEIs are Luhn-valid 15-digit numbers too
        out.append(Finding("card", m.start(), m.end()))


def _ibans(text: str, pos: int, endpos: int, out: list[Finding]) -> None:
    for m in _IBAN.finditer(text, pos, endpos):
        if iban_valid(m.group().replace(" ", "")):
            out.append(Finding("iban", m.start(), m.end()))


def _ssns(text: str, pos: int, endpos: int, out: list[Finding]) -> None:
    for m in _SSN.finditer(text, pos, endpos):
        if m.group(1) + m.group(3) + m.group(4) not in _SSN_PUBLIC:
            out.append(Finding("ssn", m.start(), m.end()))
    for m in _SSN_KEYWORD.finditer(text, pos, endpos):
        if "".join(m.groups()) not in _SSN_PUBLIC:
            out.append(Finding("ssn", m.start(1), m.end()))


def _overlaps(start: int, end: int, taken: list[Finding]) -> bool:
    return any(f.start < end and start < f.end for f in taken)


def _phones(text: str, pos: int, endpos: int, out: list[Finding]) -> None:
    taken = list(out)  # cards, IBANs and SSNs win over a phone reading of the same digits
    for pattern in (_INTL, _NANP, _PHONE_KEYWORD):
        group = "num" if pattern is _PHONE_KEYWORD else 0
        for m in pattern.finditer(text, pos, endpos):
            start, end = m.span(group)
            digits = sum(ch.isdigit() for ch in m.group(group))
            if not 7 <= digits <= 15 or _overlaps(start, end, taken):
                continue
            finding = Finding("phone", start, end)
            taken.append(finding)
            out.append(finding)


def _numbers(text: str, out: list[Finding]) -> None:
    """Cards, IBANs, SSNs and phones, looked for only around runs of 7+ digits and separators
    (one fast pass finds them; the exact patterns then run on a small window)."""
    n = len(text)
    for run in _DIGIT_RUN.finditer(text):
        pos, endpos = max(0, run.start() - _LEFT), min(n, run.end() + _RIGHT)
        found: list[Finding] = []
        _cards(text, pos, endpos, found)
        _ibans(text, pos, endpos, found)
        _ssns(text, pos, endpos, found)
        _phones(text, pos, endpos, found)
        for f in found:
            if f not in out and f.start < run.end() and run.start() < f.end:
                out.append(f)


def find_pii(text: str) -> list[Finding]:
    """Every PII span in ``text`` (kinds: email, phone, card, iban, ssn)."""
    out: list[Finding] = []
    if "@" in text:
        _emails(text, out)
    if any(d in text for d in "0123456789"):
        _numbers(text, out)
    return out
