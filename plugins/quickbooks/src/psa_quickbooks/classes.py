"""QuickBooks classes for contract-line classes (reference 3.8).

Sent when the connection's "Use class mapping" setting is on (unticked, the admin chose not to
send classes and nothing is checked). Per line with a class label: the admin's mapping of that
label (kind ``class``, host id = the label), else the active class whose name (or full name,
``Parent:Child``) equals the label. A label with no class stops the push with a mapping error:
booking it without its class would be silently wrong. Then, by the company's class tracking:

* per line (``ClassTrackingPerTxnLine``): each line's ``ClassRef``;
* per transaction (``ClassTrackingPerTxn``): the document's ``ClassRef`` when its lines share
  one class; lines of several classes stop with a mapping error (QuickBooks keeps one);
* off: QuickBooks cannot book a class. The document is pushed without, and the record says so
  (:attr:`ClassPlan.off_note`, and the booked-vs-sent comparison names each line's class): the
  admin turns class tracking on, or unticks "Use class mapping". Test warns up front
  (:mod:`.checks`).

:attr:`ClassPlan.expected` is what each line should book to, for the comparison after the push.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from hookspecs import MappingError
from host.integrations.matching import norm

from .api import QboClient
from .company import Company

OFF_NOTE = ("Class tracking is off in this QuickBooks company, so the lines' classes were not "
            "booked. Turn on class tracking in QuickBooks (Settings > Account and settings > "
            "Advanced > Categories > Track classes, one to each row) and push again, or untick "
            "\"Use class mapping\" on the integration's Manage page if classes should not go to "
            "QuickBooks.")


@dataclass(frozen=True)
class ClassPlan:
    line_ids: Mapping[int, str] = field(default_factory=dict)
    document_id: str = ""
    #: host line id -> the class (QuickBooks name; the PSA label when tracking is off) it
    #: should book to
    expected: Mapping[int, str] = field(default_factory=dict)
    off_note: str = ""


class Classes:
    def __init__(self, qbo: QboClient, connection) -> None:
        self.qbo = qbo
        self.connection = connection
        self._classes: list[dict] | None = None

    @property
    def classes(self) -> list[dict]:
        if self._classes is None:
            self._classes = self.qbo.query_all("Class")
        return self._classes

    def name_of(self, ident: str, fallback: str = "") -> str:
        for cls in self.classes:
            if str(cls.get("Id")) == str(ident):
                return str(cls.get("FullyQualifiedName") or cls.get("Name") or ident)
        return fallback or str(ident)

    def for_label(self, label: str) -> str:
        mapped = self.connection.mapping("class", label)
        if mapped:
            return str(mapped)
        hits = [c for c in self.classes if norm(label) in (norm(c.get("Name")),
                                                          norm(c.get("FullyQualifiedName")))]
        if len(hits) == 1:
            return str(hits[0]["Id"])
        raise MappingError(
            f"No QuickBooks class matches the class {label!r} of a contract line"
            + (" (several have that name)." if hits else "."),
            fix="Create the class in QuickBooks or map it on the integration's Manage page "
                "(Classes), then retry.")

    def plan(self, company: Company, lines, *, enabled: bool, label: str) -> ClassPlan:
        labelled = [line for line in lines if line.class_label]
        if not enabled or not labelled:
            return ClassPlan()
        if not (company.class_per_line or company.class_per_txn):
            return ClassPlan(expected={line.id: line.class_label for line in labelled},
                             off_note=OFF_NOTE)
        ids = {line.id: self.for_label(line.class_label) for line in labelled}
        expected = {line: self.name_of(ident) for line, ident in ids.items()}
        if company.class_per_line:
            return ClassPlan(line_ids=ids, expected=expected)
        distinct = sorted(set(ids.values()))
        if len(distinct) > 1 or len(labelled) < len(lines):
            names = ", ".join(sorted({line.class_label for line in labelled}))
            raise MappingError(
                f"The {label} has lines in different classes ({names}"
                + (", and lines without one" if len(labelled) < len(lines) else "")
                + "), but this QuickBooks company tracks one class per transaction.",
                fix="Switch QuickBooks to one class per row (Settings > Account and settings > "
                    "Advanced > Categories > Track classes: One to each row), or give every "
                    "line of the contract the same class, then retry.")
        return ClassPlan(document_id=distinct[0],
                         expected={line.id: self.name_of(distinct[0]) for line in lines})
