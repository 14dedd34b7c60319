"""CSV and spreadsheet exports without formula injection (OWASP "CSV Injection").

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and WPS as a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`, `@SUM(...)`).
`neutralise(value)` prefixes such a cell with a single quote, which spreadsheets show as text
and do not evaluate; `neutralise_row` does it for a whole row. Numbers stay numbers: only
strings are changed, so a negative amount written as an int is untouched.

Use it on every cell of every export:

    writer.writerow(neutralise_row([app.number, org.name, app.description]))
"""

from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Full-width forms that some spreadsheet programs (WPS, Excel with an IME) also accept.
FULLWIDTH_PREFIXES = ("＝", "＋", "－", "＠")


# The first character that makes a cell a formula, once leading blanks are passed over: one
# set lookup per cell (exports write millions of cells; issue #8).
_FORMULA_STARTS = frozenset(FORMULA_PREFIXES + FULLWIDTH_PREFIXES)
_BLANKS = " \u3000"


def neutralise(value: Any) -> Any:
    """The value, with a leading `'` if it is a string a spreadsheet would run as a formula."""
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    if first in _BLANKS:
        first = value.lstrip(_BLANKS)[:1]
    if first in _FORMULA_STARTS:
        return "'" + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(value) for value in values]
