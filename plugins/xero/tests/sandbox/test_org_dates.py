"""Default dates are the organisation's day, in its Timezone, not UTC's."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import yaml

from psa_xero.sandbox import NZ_TENANT_ID, US_TENANT_ID
from psa_xero.sandbox.seed import sid
from psa_xero.sandbox.timezones import IANA

from .conftest import Xero

SPEC = "/work/shared/reference/xero-openapi/xero_accounting.yaml"


def day_of(ms_date: str) -> date:
    """``/Date(1773100800000+0000)/`` -> its calendar day."""
    ms = int(ms_date[len("/Date("):].split("+")[0].split(")")[0])
    return datetime.fromtimestamp(ms / 1000, timezone.utc).date()


def utc_now_at(control, hour: int) -> datetime:
    """Advance the sandbox clock to the next ``hour``:00 UTC; returns that instant."""
    now = datetime.fromtimestamp(control.get("/clock").json()["now"], timezone.utc)
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    control.post("/clock/advance", json={"seconds": (target - now).total_seconds()})
    return target


def test_dates_default_to_the_organisations_day(server, mint, control):
    noon = utc_now_at(control, 12)  # 12:00 UTC: already tomorrow in Auckland (UTC+12/+13)
    xero = Xero(server.url, mint()["access_token"])  # minted on the advanced clock
    auckland_day = noon.astimezone(ZoneInfo("Pacific/Auckland")).date()
    assert auckland_day == noon.date() + timedelta(days=1)
    invoice = {"Type": "ACCREC", "Contact": {"ContactID": sid(NZ_TENANT_ID, "contact:tui")},
               "Status": "AUTHORISED", "LineItems": [
                   {"Description": "Design", "Quantity": 1, "UnitAmount": 100,
                    "AccountCode": "200", "TaxType": "OUTPUT2"}]}
    created = xero.put("Invoices", {"Invoices": [invoice]}, tenant=NZ_TENANT_ID)
    assert created.status_code == 200, created.text
    inv = created.json()["Invoices"][0]
    assert day_of(inv["Date"]) == auckland_day
    paid = xero.put("Payments", {"Payments": [{"Invoice": {"InvoiceID": inv["InvoiceID"]},
                                               "Account": {"Code": "090"},
                                               "Amount": inv["Total"]}]}, tenant=NZ_TENANT_ID)
    assert paid.status_code == 200, paid.text
    assert day_of(paid.json()["Payments"][0]["Date"]) == auckland_day
    again = xero.get(f"Invoices/{inv['InvoiceID']}", tenant=NZ_TENANT_ID).json()["Invoices"][0]
    assert again["Status"] == "PAID" and day_of(again["FullyPaidOnDate"]) == auckland_day


def test_a_us_organisation_is_still_on_yesterday_at_0200_utc(server, mint, control):
    two_am = utc_now_at(control, 2)  # 21:00 or 22:00 the day before in New York
    xero = Xero(server.url, mint()["access_token"])
    note = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": sid(US_TENANT_ID, "contact:globex")},
            "Status": "DRAFT", "LineItems": [{"Description": "Credit", "Quantity": 1,
                                              "UnitAmount": 10}]}
    created = xero.put("CreditNotes", {"CreditNotes": [note]}, tenant=US_TENANT_ID)
    assert created.status_code == 200, created.text
    assert day_of(created.json()["CreditNotes"][0]["Date"]) == two_am.date() - timedelta(days=1)


def test_every_xero_timezone_has_a_zone():
    with open(SPEC, encoding="utf-8") as fh:
        enum = yaml.safe_load(fh)["components"]["schemas"]["TimeZone"]["enum"]
    assert set(enum) == set(IANA)
    assert all(ZoneInfo(name) for name in IANA.values())
