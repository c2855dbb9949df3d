"""QuickBooks classes on lines (reference 3.8).

Sent only when the company tracks classes per line (``ClassTrackingPerTxnLine``) and the
connection's "Use class mapping" setting is on. Per line with a class label: the admin's
mapping of that label (kind ``class``, host id = the label), else the active class whose name
(or full name, ``Parent:Child``) equals the label. A label with no class stops the push with a
mapping error: booking it without its class would be silently wrong.
"""

from __future__ import annotations

from hookspecs import MappingError
from host.integrations.matching import norm

from .api import QboClient


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

    def resolve(self, lines) -> dict[int, str]:
        return {line.id: self.for_label(line.class_label) for line in lines if line.class_label}
