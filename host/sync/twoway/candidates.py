"""The organization's host records an inbound customer or product may match, loaded once per run.

Matching a ledger customer against the host's clients (a product against the service types)
looks at every record of the organization that is not linked yet. Loading them as ORM objects
for each inbound record made the import quadratic: bench/twoway_import.py measured a page of
100 customers at 1 s with 500 clients in the host and 19 s with 3,000 (145,000 ORM objects
built for one page), so 5,000 customers took most of an hour and 10,000 would have taken hours.

:class:`CandidateIndex` loads ``id``, name, e-mail or SKU and ``active`` once per
:class:`~host.sync.twoway.run.ImportRun` (plain rows), keys them by the values the matching
rules compare (:mod:`host.integrations.matching`: the normalized e-mail and name of a client;
the stripped SKU and name of a service type), and is kept current while the run links and
creates records. Each inbound record then hands the matching functions only the candidates
sharing one of its keys -- every candidate that could hit -- so the outcome (match, ambiguous,
create) is the one the full list gives, in the same order (by id).
"""

from __future__ import annotations

from typing import Callable, Iterable

import sqlalchemy as sa

from host.extensions import db
from host.integrations import matching
from host.integrations.matching import Candidate


class CandidateIndex:
    """Host records of one kind as :class:`~host.integrations.matching.Candidate`, by key.

    ``keys(candidate)`` gives the ``(rule, value)`` pairs a record may be matched on (empty
    values never match, so they are not indexed); ``linked`` holds the host ids already linked
    to a ledger record (no longer candidates).
    """

    def __init__(self, rows: Iterable[Candidate], keys: Callable[[Candidate], Iterable[tuple]],
                 linked: Iterable[int]) -> None:
        self._keys = keys
        self._by_key: dict[tuple, list[Candidate]] = {}
        self._names: dict[str, int] = {}
        self._linked = set(linked)
        for candidate in rows:
            self.add(candidate)

    def add(self, candidate: Candidate) -> None:
        """A host record the run created (or loaded)."""
        for key in self._keys(candidate):
            if key[1]:
                self._by_key.setdefault(key, []).append(candidate)
        name = matching.norm(candidate.name)
        self._names[name] = self._names.get(name, 0) + 1

    def link(self, host_id: int) -> None:
        """``host_id`` is now linked to a ledger record: no longer a candidate."""
        self._linked.add(host_id)

    def near(self, keys: Iterable[tuple]) -> list[Candidate]:
        """The unlinked candidates sharing any of ``keys``, by id."""
        found: dict[str, Candidate] = {}
        for key in keys:
            for candidate in self._by_key.get(key, ()) if key[1] else ():
                if int(candidate.external_id) not in self._linked:
                    found[candidate.external_id] = candidate
        return sorted(found.values(), key=lambda c: int(c.external_id))

    def name_taken(self, name: str) -> bool:
        """Some host record of the organization (linked or not) has this name (normalized)."""
        return self._names.get(matching.norm(name), 0) > 0


def client_keys(candidate: Candidate) -> list[tuple]:
    """What :func:`host.integrations.matching.match_client` compares (no account number:
    host clients have none)."""
    return [("email", matching.norm(candidate.email)), ("name", matching.norm(candidate.name))]


def service_type_keys(candidate: Candidate) -> list[tuple]:
    """What :func:`host.integrations.matching.match_inbound` compares."""
    return [("sku", candidate.sku.strip()), ("name", candidate.name.strip())]


def clients(run) -> CandidateIndex:
    """The organization's clients (the run's index, built on first use)."""
    from host.models import Client

    def load(org_id: int) -> list[Candidate]:
        rows = db.session.execute(sa.select(
            Client.id, Client.name, Client.billing_email, Client.active)
            .where(Client.organization_id == org_id).order_by(Client.id))
        return [Candidate(external_id=str(i), name=name or "", email=email or "",
                          usable=bool(active), kind="inactive client")
                for i, name, email, active in rows]

    return run.index("customer", lambda: CandidateIndex(
        load(run.connection.business_unit.organization_id), client_keys,
        run.linked_host_ids("customer")))


def service_types(run) -> CandidateIndex:
    """The organization's service types (the run's index, built on first use)."""
    from host.models import ServiceType

    def load(org_id: int) -> list[Candidate]:
        rows = db.session.execute(sa.select(
            ServiceType.id, ServiceType.name, ServiceType.sku, ServiceType.active)
            .where(ServiceType.organization_id == org_id).order_by(ServiceType.id))
        return [Candidate(external_id=str(i), name=name or "", sku=sku or "",
                          usable=bool(active), kind="service type")
                for i, name, sku, active in rows]

    return run.index("item", lambda: CandidateIndex(
        load(run.connection.business_unit.organization_id), service_type_keys,
        run.linked_host_ids("item")))
