"""Xero answers in XML unless the request says ``Accept: application/json``.

The sandbox renders its JSON bodies as Xero-style XML in that case (``<Response>`` envelopes,
``<ApiException>`` errors, list items named by the singular of their list), so a client that
forgets the header fails here as it would against Xero.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

_IRREGULAR = {"Addresses": "Address", "Statuses": "Status", "TaxRates": "TaxRate",
              "HistoryRecords": "HistoryRecord", "Organisations": "Organisation"}


def singular(name: str) -> str:
    if name in _IRREGULAR:
        return _IRREGULAR[name]
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if inner is None:
                continue
            child = ET.SubElement(element, key)
            _fill(child, inner)
    elif isinstance(value, list):
        for inner in value:
            child = ET.SubElement(element, singular(element.tag))
            _fill(child, inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def to_xml(body) -> bytes:
    root_name = "ApiException" if isinstance(body, dict) and "ErrorNumber" in body else "Response"
    root = ET.Element(root_name)
    _fill(root, body)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def wants_json(accept: str | None) -> bool:
    return bool(accept) and "json" in accept.lower()
