"""Customers in: one page of :class:`~host.contract.records.InboundCustomer` -> host clients.

For each customer, in the page's transaction (the importer commits):

1. **Known** (a linked ``SyncLink``, or a host client the plugin pushed before:
   ``connection.refs`` / the ``client`` mapping): its synced fields are compared with the
   link's fingerprint (:func:`host.sync.twoway.conflicts.resolve`); what the ledger changed is
   written, a field changed on both sides goes to the object's conflict policy, and the link's
   history lists what was overwritten. Inactive in the ledger: the host client becomes
   inactive when it came from the ledger, else this is only noted.
2. **Filtered** (``host.sync.twoway.filters``): linked ``skipped`` with the reason.
3. **Unreadable** (``problem`` set by the plugin, no name): ``waiting`` with the reason and a
   fix; Retry applies the kept payload again.
4. **Matched** to a host client of the connection's organization not linked yet, by the rules
   the outbound push uses (``host.integrations.matching.match_client``: billing email, then
   name). Several hits: ``ambiguous`` with the candidates' names, for the admin to choose.
5. Otherwise **created** (its name made unique in the organization, cut to the column's size;
   the history says so).

Every customer linked here is also written to the connection's ``client`` mapping, so the
invoice and customer pushes find the same ledger record (``connection.mapping("client", id)``).
"""

from __future__ import annotations

import sqlalchemy as sa

from host.contract.records import InboundCustomer
from host.contract.types import CUSTOMER_REF, ClientData
from host.extensions import db
from host.integrations import matching
from host.models import Client
from host.models.external_ref import ExternalRefRow
from host.services import validation
from host.sync.twoway import candidates, conflicts, filters
from host.sync.twoway.importing import importing
from host.sync.twoway.run import CLIENT_KIND, ImportRun, bounded

LIMITS = {"name": validation.column_length(Client.name),
          "billing_email": validation.column_length(Client.billing_email),
          "billing_contact_name": validation.column_length(Client.billing_contact_name),
          "tax_number": validation.column_length(Client.tax_number)}
UNREADABLE_FIX = ("Correct the customer in the ledger: its next change brings it in again. "
                  "Or press Retry.")


def apply_page(run: ImportRun, records) -> None:
    """Apply a page of customers (no commit)."""
    run.begin_page()
    run.prefetch("customer", [r.external_id for r in records], kinds=(CLIENT_KIND,))
    _prefetch_pushed(run, records)
    with importing():  # no echo: nothing written here is pushed back
        for record in records:
            apply_one(run, record)
    run.write_counts()


def apply_one(run: ImportRun, record: InboundCustomer) -> None:
    run.seen()
    name, _ = bounded(record.name, LIMITS["name"])
    row = run.open_link(record, label=name or str(record.external_id))
    if record.problem:
        run.wait(row, record, f"The ledger's customer could not be read: "
                 f"{bounded(record.problem, 500)[0]}", UNREADABLE_FIX)
        return
    client = _known(run, row, record)
    if client is not None:
        _update(run, row, client, record)
        return
    reason = filters.excluded(run.setting.filters, record)
    if reason:
        run.skip(row, reason)
        return
    if not name:
        run.wait(row, record, "A customer needs a name; this one has none in the ledger.",
                 "Give the customer a name in the ledger, then press Retry.")
        return
    if not record.active:
        run.skip(row, "Inactive in the ledger: not imported.")
        return
    _match_or_create(run, row, record, name)


def _org_id(run: ImportRun) -> int:
    return run.connection.business_unit.organization_id


#: :meth:`ImportRun.index` name of the page's pushed customers: {ledger id: host id or None}
PUSHED = "customer refs"


def _pushed_query(run: ImportRun):
    return sa.select(ExternalRefRow.external_id, ExternalRefRow.host_id).where(
        ExternalRefRow.connection_id == run.connection.id,
        ExternalRefRow.kind.in_((CUSTOMER_REF, CLIENT_KIND))).order_by(ExternalRefRow.id.desc())


def _prefetch_pushed(run: ImportRun, records) -> None:
    """The host ids the plugin's pushes recorded for the page's customers, in one query."""
    ids = sorted({str(r.external_id) for r in records})
    found = dict(db.session.execute(_pushed_query(run).where(
        ExternalRefRow.external_id.in_(ids))).all())  # by id, descending: the oldest wins
    pushed = run.index(PUSHED, dict)
    for external_id in ids:
        pushed.setdefault(external_id, found.get(external_id))


def _known(run: ImportRun, row, record) -> Client | None:
    """The host client this ledger customer is already linked to, if any."""
    if row.status == "linked" and row.host_id:
        return db.session.get(Client, row.host_id)
    known = run.index(PUSHED, dict)
    if str(record.external_id) not in known:
        _prefetch_pushed(run, [record])
    pushed = known[str(record.external_id)]
    host_id = run.host_id_for(CLIENT_KIND, str(record.external_id))
    if host_id is None and pushed is not None and pushed.isdigit():
        host_id = int(pushed)
    client = db.session.get(Client, host_id) if host_id else None
    if client is None or client.organization_id != _org_id(run):
        return None
    row.origin = "host"
    row.host_id = client.id
    return client


def host_values(client: Client, names) -> dict:
    return {name: getattr(client, name, "") for name in names}


def _update(run: ImportRun, row, client: Client, record: InboundCustomer,
            how: str = "pushed from the host") -> None:
    if run.already_seen(row, record):
        run.unchanged(row, record)
        return
    provider = run.provider_values(record)
    first = row.status != "linked"
    resolution = conflicts.resolve(row.fingerprint or {}, host_values(client, provider),
                                   provider, run.setting.conflict, inbound=run.setting.inbound)
    notes = write_fields(run, client, resolution.to_host)
    if not record.active:
        if row.origin == "provider" and client.active:
            client.active = False
            notes.append("Inactive in the ledger: the client was made inactive.")
        elif client.active:
            notes.append("Inactive in the ledger (the client came from the host and stays "
                         "active).")
    changes = [c.as_dict() for c in resolution.changes] or None
    message = " ".join(notes)
    if first:
        run.matched(row, client.id, record, resolution.fingerprint,
                    f"Linked to the client {client.name} ({how}). {message}".strip(), changes)
        run.map(CLIENT_KIND, client.id, row.external_id, record.name)
    elif resolution.to_host or notes or resolution.changes:
        run.updated(row, record, resolution.fingerprint,
                    message or "Updated from the ledger.", changes)
    else:
        row.fingerprint = resolution.fingerprint
        run.unchanged(row, record)
    if resolution.push_back:
        row.log("conflict", run.push_back(row))


def write_fields(run: ImportRun, client: Client, values: dict) -> list[str]:
    """Write the ledger's ``values`` on ``client`` through the host's rules; returns notes on
    what was cut or refused."""
    notes = []
    for field, value in values.items():
        if field not in LIMITS:
            continue
        text, cut = bounded(value, LIMITS[field])
        if cut:
            notes.append(f"The ledger's {field.replace('_', ' ')} was cut to "
                         f"{LIMITS[field]} characters.")
        if field == "name":
            if not text:
                notes.append("The ledger's name is empty: the client keeps its name.")
                continue
            if _name_taken(run, text, client.id):
                notes.append(f"The ledger's name {text!r} is taken by another client: the "
                             "client keeps its name.")
                continue
        if field == "billing_email" and text and not validation.is_email(text):
            notes.append(f"The ledger's billing email {text!r} is not an email address: not "
                         "copied.")
            continue
        setattr(client, field, text)
    return notes


def _name_taken(run: ImportRun, name: str, client_id: int | None) -> bool:
    query = sa.select(Client.id).where(Client.organization_id == _org_id(run),
                                       sa.func.lower(Client.name) == name.lower())
    if client_id is not None:
        query = query.where(Client.id != client_id)
    return db.session.scalars(query).first() is not None


def _match_or_create(run: ImportRun, row, record: InboundCustomer, name: str) -> None:
    index = candidates.clients(run)
    email = bounded(record.billing_email, LIMITS["billing_email"])[0]
    data = ClientData(id=0, name=name, billing_email=email)
    preview = matching.match_client(data, index.near(candidates.client_keys(
        matching.Candidate(external_id="0", name=name, email=email))), label="client")
    if preview.outcome == "ambiguous":
        run.ambiguous(row, record, [c.label for c in preview.candidates])
        return
    if preview.outcome == "match":
        client = db.session.get(Client, int(preview.external_id))
        row.host_id = client.id
        _update(run, row, client, record, how=f"matched: {preview.reason}")
        return
    _create(run, row, record, name, index)


def _taken_names(run: ImportRun, name: str, index: candidates.CandidateIndex) -> list[str]:
    """The names a new client must not take: none when ``name`` is free (the run's index and
    the database agree), else every name of the organization (``unique_name`` picks a free
    ``"name (2)"``)."""
    if not index.name_taken(name) and not _name_taken(run, name, None):
        return []
    return list(db.session.scalars(sa.select(Client.name).where(
        Client.organization_id == _org_id(run))))


def _create(run: ImportRun, row, record: InboundCustomer, name: str,
            index: candidates.CandidateIndex) -> None:
    unique = matching.unique_name(name, _taken_names(run, name, index), LIMITS["name"])
    provider = run.provider_values(record)
    client = Client(organization_id=_org_id(run), name=unique, active=True)
    db.session.add(client)
    notes = write_fields(run, client, {k: v for k, v in provider.items() if k != "name"})
    currency = (record.currency or "").strip().upper()
    if currency and validation.is_known_currency(currency) \
            and currency != run.connection.business_unit.organization.currency:
        client.currency = currency
    db.session.flush()
    index.add(matching.Candidate(external_id=str(client.id), name=client.name,
                                 email=client.billing_email or "", kind="inactive client"))
    if bounded(record.name, LIMITS["name"])[1]:
        notes.insert(0, f"The ledger's name was cut to {LIMITS['name']} characters.")
    if unique != name:
        notes.insert(0, f"The name {name!r} is taken in the host: created as {unique!r}.")
    run.created(row, client.id, record, conflicts.fingerprint(provider),
                " ".join([f"Created the client {client.name} from the ledger.", *notes]))
    run.map(CLIENT_KIND, client.id, row.external_id, record.name, new_host_record=True)
