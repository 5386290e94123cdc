"""Numbers as the book prints them, in tables and in the text of computed claims."""

from __future__ import annotations

__all__ = ["format_number"]

_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def format_number(value: float | None, digits: int = 3, sign: bool = False) -> str:
    """A number as a reader wants it: blank when missing, ``digits`` significant digits, the
    integer part in full with thousands separators from ``10**digits`` up to ``1e12``, and a
    power of ten written out (``9.5·10⁻⁵``) instead of ``9.5e-05``; ``sign`` writes a ``+``
    before a positive value.

    >>> [format_number(v) for v in (0.123456, 1020.4, -302714.2, 9.5e-05, float("nan"), -float("inf"))]
    ['0.123', '1,020', '-302,714', '9.5·10⁻⁵', '', '-∞']
    >>> format_number(-6.284e10, 4), format_number(2.5, sign=True), format_number(1330.2, sign=True)
    ('-62,840,000,000', '+2.5', '+1,330')
    """
    if value is None or value != value:
        return ""
    if value in (float("inf"), float("-inf")):
        return ("+∞" if sign else "∞") if value > 0 else "-∞"
    plus = "+" if sign else ""
    text = f"{value:{plus}.{digits}g}"
    if 10 ** digits <= abs(float(text)) < 1e12:
        return f"{value:{plus},.0f}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text
