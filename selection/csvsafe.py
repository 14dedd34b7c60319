"""CSV cells that a spreadsheet will not run as formulas (CWE-1236). Same name and behaviour
as the planned `ietsportal/csvsafe.py`, to be folded into it."""

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell's text, prefixed with ' when it starts with = + - @ tab or CR."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS) else text
