"""``GET /cdc?entities=...&changedSince=...`` (reference 6): changed objects per entity, deleted
ones as stubs, 30-day look-back, at most 1,000 objects per response."""
from __future__ import annotations

from datetime import timedelta

from . import balances, faults
from .query import QUERYABLE
from .store import public
from .timefmt import parse_datetime
from .validation import blank

NOT_SUPPORTED = {"TaxCode", "TaxRate", "JournalCode", "TaxAgency", "TimeActivity"}
LOOKBACK_DAYS = 30
CAP = 1000


def run(company, entities_csv: str, changed_since: str, now: float) -> dict:
    if blank(entities_csv):
        raise faults.required("entities")
    if blank(changed_since):
        raise faults.required("changedSince")
    since = parse_datetime(changed_since)
    if since is None:
        raise faults.QboFault(2060, "Invalid Date", f"Invalid changedSince: {changed_since}", "changedSince")
    from datetime import datetime, timezone

    now_dt = datetime.fromtimestamp(now, timezone.utc)
    if since < now_dt - timedelta(days=LOOKBACK_DAYS):
        raise faults.QboFault(4001, "Invalid query",
                              f"QueryValidationError: changedSince cannot be more than "
                              f"{LOOKBACK_DAYS} days in the past", "changedSince")
    names = []
    for raw in entities_csv.split(","):
        name = QUERYABLE.get(raw.strip().lower())
        if name is None or name in NOT_SUPPORTED or name in ("Preferences", "CompanyInfo"):
            raise faults.QboFault(4001, "Invalid query",
                                  f"QueryValidationError: CDC is not supported for entity {raw.strip()}",
                                  "entities")
        if name not in names:
            names.append(name)
    remaining = CAP
    responses = []
    for name in names:
        table = balances.customer_balances(company) if name in balances.HOLDERS else None
        rows = [balances.shown(company, name, public(o), table) for o in company.all(name)
                if (parse_datetime(o["MetaData"]["LastUpdatedTime"]) or since) >= since]
        rows += [{"domain": "QBO", "status": "Deleted", "Id": d["Id"],
                  "MetaData": {"LastUpdatedTime": d["LastUpdatedTime"]}}
                 for d in company.deleted() if d["entity"] == name
                 and (parse_datetime(d["LastUpdatedTime"]) or since) >= since]
        rows.sort(key=lambda r: r["MetaData"]["LastUpdatedTime"])
        rows = rows[:remaining]
        remaining -= len(rows)
        if rows:
            responses.append({name: rows, "startPosition": 1, "maxResults": len(rows)})
    return {"CDCResponse": [{"QueryResponse": responses or [{}]}]}
