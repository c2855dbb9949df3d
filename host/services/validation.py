"""Input rules, in one place: money, quantities, percentages, dates, ids, booleans and texts.

The JSON API, the WTForms forms (``host.forms.validators.Checked``) and the domain services all
call these, so a value the database cannot store, or a later read cannot show, is refused where
it comes in, whoever calls. Each rule takes the raw value and the name of the field it came
from, returns the clean value, and raises ``InvalidField`` (a ``DomainError``: 422 in the API, a
field error in a form) naming that field.

* Numbers are exact: ``Decimal``, ``int`` or a numeric string; never a float (JSON's
  ``Infinity``/``NaN`` arrive as floats), a boolean, NaN or an infinity. They must fit the
  column (``Numeric(precision, scale)``: fewer than ``precision - scale`` integer digits) and
  have no more decimal places than it keeps; money no more than the currency's minor units
  (JPY 0, USD 2).
* Ids are integers from 1 to ``ID_MAX`` (id columns are ``Integer``: 32-bit on PostgreSQL,
  64-bit on SQLite); a numeric string is accepted, since forms and JSON object keys are strings.
* Dates are ``YYYY-MM-DD`` strings (or ``date``) between ``DATE_MIN`` and ``DATE_MAX``, so
  that adding payment terms stays in the calendar and every page can show them.
* Booleans are JSON ``true``/``false`` only: the string ``"false"`` is refused, never truthy.
* Texts are strings of at most the column's length; ``None`` is the empty text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa

from host.models.mixins import Money, Percent, Quantity
from host.services.errors import InvalidField

ID_MAX = 2**31 - 1
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)
#: Longest payment terms: ten years keeps every due date inside DATE_MAX's calendar.
DUE_DAYS_MAX = 3650
#: Free texts stored in ``Text`` columns (memo, reason): what a page shows in full.
MEMO_MAX_LENGTH = 2000

#: ISO 4217 currencies without the usual two minor units (those with three are capped by the
#: money column's two places).
MINOR_UNITS = {code: 0 for code in (
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF")}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_INTEGER = re.compile(r"^[+-]?\d{1,30}$")


# -- numbers -----------------------------------------------------------------------------------

def number(value, field: str, *, column: sa.Numeric, places: int | None = None,
           minimum: Decimal | int | None = None, maximum: Decimal | int | None = None,
           above_minimum: bool = False, rounding: bool = False) -> Decimal:
    """An exact, finite Decimal that ``column`` can store, with at most ``places`` decimals.

    ``rounding=True`` rounds half-up to ``places`` instead of refusing extra decimals (for
    amounts reported by an accounting system, recorded as reported).
    """
    places = column.scale if places is None else min(places, column.scale)
    parsed = _parse_decimal(value, field)
    if abs(parsed) >= Decimal(10) ** (column.precision - column.scale):
        raise InvalidField(field, f"{field} is too large (fewer than "
                                  f"{column.precision - column.scale + 1} digits before the point).")
    step = Decimal(1).scaleb(-places)
    rounded = parsed.quantize(step, rounding=ROUND_HALF_UP)
    if rounded != parsed and not rounding:
        raise InvalidField(field, f"{field} has more than {places} decimal places.")
    if minimum is not None and (rounded < minimum or (above_minimum and rounded == minimum)):
        bound = "more than" if above_minimum else "at least"
        raise InvalidField(field, f"{field} must be {bound} {minimum}.")
    if maximum is not None and rounded > maximum:
        raise InvalidField(field, f"{field} must be at most {maximum}.")
    return rounded


def money(value, field: str, *, currency: str | None = None, positive: bool = False,
          rounding: bool = False) -> Decimal:
    """An amount in ``currency`` (its minor units), fitting the money column."""
    return number(value, field, column=Money, places=minor_units(currency),
                  minimum=Decimal(0) if positive else None, above_minimum=positive,
                  rounding=rounding)


def quantity(value, field: str, *, minimum: Decimal | int | None = None) -> Decimal:
    return number(value, field, column=Quantity, minimum=minimum)


def percent(value, field: str) -> Decimal:
    return number(value, field, column=Percent, minimum=0, maximum=100)


def fits_money(amount: Decimal, field: str) -> Decimal:
    """A computed amount (a line's quantity x price) still fits the money column."""
    limit = Decimal(10) ** (Money.precision - Money.scale)
    if abs(amount) >= limit:
        raise InvalidField(field, f"{field}: the amount {amount:.2f} is too large to store.")
    return amount


def minor_units(currency: str | None) -> int:
    return MINOR_UNITS.get((currency or "").upper(), 2)


def _parse_decimal(value, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)):
        raise InvalidField(field, f"{field} must be a number (e.g. \"12.50\").")
    if isinstance(value, float):
        raise InvalidField(field, f"{field} must be a finite number given exactly "
                                  f"(a string like \"12.50\"), not {value!r}.")
    if isinstance(value, int):
        return Decimal(value)
    try:
        parsed = value if isinstance(value, Decimal) else Decimal(value.strip())
    except (InvalidOperation, ValueError):
        raise InvalidField(field, f"{field} must be a number, got {value!r}.") from None
    if not parsed.is_finite():
        raise InvalidField(field, f"{field} must be a finite number, got {value!r}.")
    return parsed


# -- integers and ids --------------------------------------------------------------------------

def integer(value, field: str, *, minimum: int = 0, maximum: int = ID_MAX,
            status: int = 422) -> int:
    """An integer (or a string of digits) between ``minimum`` and ``maximum``."""
    if isinstance(value, int) and not isinstance(value, bool):
        parsed = value
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        parsed = int(value.strip())
    else:
        raise InvalidField(field, f"{field} must be a whole number, got {value!r}.",
                           status=status)
    if not minimum <= parsed <= maximum:
        raise InvalidField(field, f"{field} must be between {minimum} and {maximum}.",
                           status=status)
    return parsed


def object_id(value, field: str, *, status: int = 422) -> int:
    """The id of a record: 1 to ``ID_MAX``."""
    return integer(value, field, minimum=1, maximum=ID_MAX, status=status)


def optional_id(value, field: str, *, status: int = 422) -> int | None:
    return None if value in (None, "") else object_id(value, field, status=status)


def id_in_range(value) -> int | None:
    """``value`` as an id when it can be one, else None (a lookup that finds nothing)."""
    try:
        return object_id(value, "id")
    except InvalidField:
        return None


def due_days(value, field: str = "due_days") -> int | None:
    return None if value in (None, "") else integer(value, field, maximum=DUE_DAYS_MAX)


# -- dates, booleans, texts --------------------------------------------------------------------

def day(value, field: str) -> date | None:
    """A date between DATE_MIN and DATE_MAX; None or "" is no date."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str) and _DATE.match(value.strip()):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidField(field, f"{field} is not a calendar date: {value!r}.") from None
    else:
        raise InvalidField(field, f"{field} must be a date (YYYY-MM-DD), got {value!r}.")
    if not DATE_MIN <= parsed <= DATE_MAX:
        raise InvalidField(field, f"{field} must be between {DATE_MIN} and {DATE_MAX}.")
    return parsed


def boolean(value, field: str) -> bool:
    """JSON true or false; anything else (the string "false" too) is refused."""
    if not isinstance(value, bool):
        raise InvalidField(field, f"{field} must be true or false, got {value!r}.")
    return value


def objects(value, field: str) -> list[Mapping]:
    """A list (or tuple) of objects, such as invoice lines; anything else is refused, whatever
    Python could iterate over (a string, a mapping, a bool)."""
    if not isinstance(value, (list, tuple)):
        raise InvalidField(field, f"{field} must be a list of objects, got "
                                  f"{type(value).__name__}.")
    for position, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InvalidField(f"{field}[{position}]",
                               f"{field}[{position}] must be an object, got {type(item).__name__}.")
    return list(value)


def text(value, field: str, max_length: int, *, required: bool = False) -> str:
    """A string of at most ``max_length`` characters, stripped; None is ""."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidField(field, f"{field} must be a string, got {type(value).__name__}.")
    value = value.strip()
    if required and not value:
        raise InvalidField(field, f"{field} is required.")
    if len(value) > max_length:
        raise InvalidField(field, f"{field} is longer than {max_length} characters.")
    return value


def column_length(attribute) -> int:
    """The length of a ``String(n)`` model attribute (``Client.name`` -> 200)."""
    return attribute.property.columns[0].type.length


def currency(value, field: str = "currency") -> str:
    """An ISO 4217 code (upper-cased), or "" for the organization's."""
    code = text(value, field, 3).upper()
    if code and not _CURRENCY.match(code):
        raise InvalidField(field, f"{field} must be three letters, e.g. USD.")
    return code


def email(value, field: str, max_length: int = 254) -> str:
    address = text(value, field, max_length)
    if address and not is_email(address):
        raise InvalidField(field, f"{field} is not an email address.")
    return address


def is_email(value: str) -> bool:
    """A plausible address (one @, a dot in the domain). Reserved test domains are fine."""
    return bool(_EMAIL.match(value or ""))


#: The ISO 4217 currencies the host knows (active codes); a currency coming in from a ledger
#: must be one of them.
KNOWN_CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())


def is_known_currency(code: str) -> bool:
    """``code`` is an ISO 4217 currency the host knows (upper-case three letters)."""
    return code in KNOWN_CURRENCIES
