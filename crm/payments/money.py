"""Amounts: integer minor units (cents) inside the CRM, Stripe's units only at the edge."""

from decimal import Decimal

from babel.numbers import format_compact_currency, format_currency

# Currencies Stripe takes in whole units (no minor unit).
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
# Currencies whose ISO minor unit is 0 but which Stripe takes as two-decimal amounts.
STRIPE_TWO_DECIMAL_WHOLE_UNITS = frozenset({"ISK"})
# Currencies with three decimals, where Stripe requires the last digit to be 0.
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())


def minor_exponent(currency: str) -> int:
    """ISO 4217 digits after the decimal point."""
    code = currency.upper()
    if code in ZERO_DECIMAL or code in STRIPE_TWO_DECIMAL_WHOLE_UNITS:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_stripe_amount(minor_units: int, currency: str) -> int:
    """Stripe's integer amount for an amount held in the currency's minor units."""
    if minor_units < 0:
        raise ValueError("amounts sent to Stripe are never negative")
    code = currency.upper()
    if code in THREE_DECIMAL and minor_units % 10:
        raise ValueError(f"{code} amounts must end in 0 for Stripe")
    if code in STRIPE_TWO_DECIMAL_WHOLE_UNITS:
        return int(minor_units) * 100
    return int(minor_units)


def from_stripe_amount(amount: int | None, currency: str) -> int:
    """Minor units for an amount Stripe reports."""
    if currency.upper() in STRIPE_TWO_DECIMAL_WHOLE_UNITS:
        return int(amount or 0) // 100
    return int(amount or 0)


def format_money(minor_units: int, currency: str, locale: str = "en_US") -> str:
    """'$1,234.50' for 123450 USD: Babel knows every currency's symbol and digits."""
    exponent = minor_exponent(currency)
    return format_currency(Decimal(minor_units).scaleb(-exponent), currency.upper(), locale=locale)


def compact_money(minor_units: int | float, currency: str, locale: str = "en_US") -> str:
    """'$12.5K', '$1.25M': an axis label, not an amount to read to the cent."""
    major = Decimal(round(minor_units)).scaleb(-minor_exponent(currency))
    return format_compact_currency(major, currency.upper(), locale=locale, fraction_digits=2)
