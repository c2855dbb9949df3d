"""``POST /taxservice/taxcode``: the only way the API creates tax codes and rates (reference 3.7).

Body: ``{"TaxCode": "<name>", "TaxRateDetails": [{"TaxRateName", "RateValue", "TaxAgencyId",
"TaxApplicableOn": "Sales"} | {"TaxRateId"}]}``. The response echoes the body with
``TaxCodeId`` and each ``TaxRateId`` filled in.
"""
from __future__ import annotations

from . import faults
from .timefmt import qbo_time
from .validation import blank, number


def create_tax_code(company, body, now: float) -> tuple[dict, list]:
    if not isinstance(body, dict) or blank(body.get("TaxCode")):
        raise faults.required("TaxCode")
    details = body.get("TaxRateDetails")
    if not isinstance(details, list) or not details:
        raise faults.required("TaxRateDetails")
    name = str(body["TaxCode"])
    if any(c["Name"].lower() == name.lower() for c in company.all("TaxCode")):
        raise faults.QboFault(6240, "Duplicate Name Exists Error",
                              "The name supplied already exists. : Another tax code is already using this name.")
    stamp = qbo_time(now)
    events, rate_refs, out_details = [], [], []
    for detail in details:
        if not blank(detail.get("TaxRateId")):
            rate = company.get("TaxRate", str(detail["TaxRateId"]))
            if rate is None:
                raise faults.invalid_ref("TaxRateDetails.TaxRateId")
        else:
            if blank(detail.get("TaxRateName")) or blank(detail.get("RateValue")):
                raise faults.required("TaxRateName", "TaxRateDetails")
            rate = {"Id": company.next_id("TaxRate"), "SyncToken": "0", "domain": "QBO", "sparse": False,
                    "Name": detail["TaxRateName"], "RateValue": number(detail["RateValue"], "RateValue"),
                    "AgencyRef": {"value": str(detail.get("TaxAgencyId") or "1")}, "Active": True,
                    "SpecialTaxType": "NONE", "DisplayType": "ReadOnly",
                    "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}}
            company.put("TaxRate", rate)
            events.append(("TaxRate", rate["Id"], "Create"))
        rate_refs.append({"TaxRateRef": {"value": rate["Id"], "name": rate["Name"]},
                          "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0})
        out_details.append(dict(detail, TaxRateId=rate["Id"]))
    code = {"Id": company.next_id("TaxCode"), "SyncToken": "0", "domain": "QBO", "sparse": False,
            "Name": name, "Description": name, "Active": True, "Taxable": True,
            "TaxGroup": len(rate_refs) > 1, "Hidden": False, "TaxCodeConfigType": "USER_DEFINED",
            "SalesTaxRateList": {"TaxRateDetail": rate_refs}, "PurchaseTaxRateList": {"TaxRateDetail": []},
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}}
    company.put("TaxCode", code)
    return {"TaxCode": name, "TaxCodeId": code["Id"], "TaxRateDetails": out_details}, events
