"""One pass of the importer over one object: its settings, declared fields, counts and links.

:class:`ImportRun` is what the apply modules (``apply_customers``, ``apply_items``,
``apply_invoices``) share while they apply a page of records:

* the connection and its object setting (filters, conflict policy, field choices);
* the provider's declared fields (``list_sync_fields``), asked once per run; a plugin that
  does not implement the hook gets the predefined pair of every host field;
* the sync links (``SyncLink``) of the records it sees, with the outcome of each record
  (:meth:`created`, :meth:`matched`, :meth:`updated`, :meth:`skip`, :meth:`wait`,
  :meth:`ambiguous`), which also count toward the setting's progress counts;
* the reverse look-ups through the admin's mappings (ledger id -> host id) of the plugin's
  mapping kinds (``ProviderInfo.mapping_kinds``) and of the ``client`` mapping.

Links and mappings are read **per page**: :meth:`ImportRun.prefetch` loads those of the
page's ledger ids in one query each (the apply modules call it with every id the page names:
its records', an invoice's customer and products), and :meth:`link` / :meth:`host_id_for`
answer from that page cache, kept current by :meth:`open_link` and :meth:`map`. Asked one
record at a time, each look-up was a query and, through the session's autoflush, a flush of
everything pending: bench/twoway_apply.py measured 13 SQL statements per new customer and 23
per new invoice, most of them these look-ups.

Nothing here commits: the importer commits a page's records, cursor and counts together.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from host.contract.records import HOST_FIELDS, SyncField
from host.extensions import db
from host.models import SyncLink, SyncObjectSetting
from host.models.external_ref import ConnectionMapping
from host.models.mixins import utcnow
from host.sync.twoway import payload as payloads
from host.sync.twoway.settings import ActiveField, field_choices

#: ``ConnectionMapping.kind`` of the client links every plugin honours
#: (``connection.mapping("client", id)``).
CLIENT_KIND = "client"
LABEL_MAX = 200


def default_fields(object: str) -> list[SyncField]:
    """The predefined pair of every host field, for a plugin that declares none."""
    return [SyncField(key=name, label=name.replace("_", " ").capitalize(), object=object,
                      host_field=name) for name in HOST_FIELDS[object]]


class ImportRun:
    """The shared state of applying records of ``setting.object`` for ``connection``."""

    def __init__(self, connection, setting: SyncObjectSetting,
                 declared: list[SyncField] | None = None) -> None:
        self.connection = connection
        self.setting = setting
        self.object = setting.object
        self._declared = declared
        self._kinds: dict[str, str | None] = {}
        self._indexes: dict[str, Any] = {}
        #: this page's links by (object, external id); None: known to have none
        self._links: dict[tuple[str, str], SyncLink | None] = {}
        #: this page's mappings by (kind, external id) -> host id as stored; None: unmapped
        self._mapped: dict[tuple[str, str], str | None] = {}
        #: this page's outcomes not yet added to the setting (:meth:`write_counts`)
        self._counts: dict[str, int] = {}

    # -- fields --------------------------------------------------------------------------

    def declared(self) -> list[SyncField]:
        if self._declared is None:
            from host.integrations.dispatch import call_owner, implements

            if implements(self.connection.provider_key, "list_sync_fields"):
                self._declared = list(call_owner(self.connection, "list_sync_fields",
                                                 object=self.object) or [])
            else:
                self._declared = default_fields(self.object)
        return self._declared

    def fields(self) -> list[ActiveField]:
        """The fields that sync, after the admin's switches and added pairs."""
        return field_choices(self.setting, self.declared())

    def provider_values(self, record) -> dict[str, Any]:
        """``{host_field: the ledger's value}`` for the fields that sync: an added pair's value
        comes from ``record.extra``; a predefined pair's from the record's attribute of that
        name, else from ``extra`` under the field's key."""
        values: dict[str, Any] = {}
        extra = dict(record.extra or {})
        for active in self.fields():
            key = active.field.key
            if key in extra:
                values[active.host_field] = extra[key]
            elif active.predefined and hasattr(record, active.host_field):
                value = getattr(record, active.host_field)
                if isinstance(value, Decimal) and not value.is_finite():
                    value = str(value)  # NaN / Infinity: refused as text where it is written
                values[active.host_field] = value
        return values

    # -- mappings ------------------------------------------------------------------------

    def mapping_kind(self, host_entity: str) -> str | None:
        """The plugin's mapping kind whose host records are ``host_entity``, if it has one."""
        if host_entity not in self._kinds:
            from host.integrations.registry import get_registry

            registry = get_registry()
            key = self.connection.provider_key
            kinds = registry[key].mapping_kinds if key in registry else ()
            self._kinds[host_entity] = next(
                (k.key for k in kinds if k.host_entity == host_entity), None)
        return self._kinds[host_entity]

    def host_id_for(self, kind: str | None, external_id: str) -> int | None:
        """The host id an admin's (or the importer's) mapping of ``kind`` gives ``external_id``."""
        if not kind or not external_id:
            return None
        if (kind, external_id) not in self._mapped:
            self._mapped[(kind, external_id)] = db.session.scalars(
                sa.select(ConnectionMapping.host_id).where(
                    ConnectionMapping.connection_id == self.connection.id,
                    ConnectionMapping.kind == kind,
                    ConnectionMapping.external_id == external_id)).first()
        host_id = self._mapped[(kind, external_id)]
        try:
            return int(host_id) if host_id is not None else None
        except ValueError:
            return None

    def map(self, kind: str | None, host_id: int, external_id: str, label: str = "", *,
            new_host_record: bool = False) -> None:
        """Link ``host_id`` to ``external_id`` in the mapping ``kind`` (so pushes find it).
        ``new_host_record``: the run just created that host record, so no mapping names it
        yet (no look-up)."""
        if not kind:
            return
        row = None if new_host_record else db.session.scalars(
            sa.select(ConnectionMapping).filter_by(
                connection_id=self.connection.id, kind=kind, host_id=str(host_id))).first()
        if row is not None and (kind, row.external_id) in self._mapped:
            self._mapped[(kind, row.external_id)] = None  # the row moves to external_id
        if row is None:
            row = ConnectionMapping(connection_id=self.connection.id, kind=kind,
                                    host_id=str(host_id))
            db.session.add(row)
        row.external_id = external_id[:200]
        row.external_label = (label or "")[:300]
        self._mapped[(kind, row.external_id)] = str(host_id)

    def next_page(self, connection, setting: SyncObjectSetting) -> None:
        """A new page in a new transaction: this session's connection and setting. The
        declared fields stay (asked once per run); the candidate indexes are rebuilt on first
        use, so host records other writers committed meanwhile can be matched."""
        self.connection, self.setting = connection, setting
        self.begin_page()

    def begin_page(self) -> None:
        """Forget the previous page's links, mappings and indexes (each ``apply_page`` starts
        so: what was written between two pages is read again)."""
        self._indexes.clear()
        self._counts.clear()
        self._links.clear()
        self._mapped.clear()

    def prefetch(self, object: str, external_ids, kinds=()) -> None:
        """Load, in one query each, the links of ``object`` and the mappings of each of
        ``kinds`` (None skipped) for ``external_ids``, so this page's :meth:`link` and
        :meth:`host_id_for` of those ids need no query."""
        ids = sorted({str(i)[:100] for i in external_ids if i})
        for chunk in (ids[n:n + 500] for n in range(0, len(ids), 500)):
            found = {row.external_id: row for row in db.session.scalars(
                sa.select(SyncLink).where(SyncLink.connection_id == self.connection.id,
                                          SyncLink.object == object,
                                          SyncLink.external_id.in_(chunk))
                .order_by(SyncLink.id.desc()))}
            for external_id in chunk:
                self._links.setdefault((object, external_id), found.get(external_id))
            for kind in {k for k in kinds if k}:
                mapped = dict(db.session.execute(
                    sa.select(ConnectionMapping.external_id, ConnectionMapping.host_id).where(
                        ConnectionMapping.connection_id == self.connection.id,
                        ConnectionMapping.kind == kind,
                        ConnectionMapping.external_id.in_(chunk))
                    .order_by(ConnectionMapping.id.desc())).all())
                for external_id in chunk:
                    self._mapped.setdefault((kind, external_id), mapped.get(external_id))

    # -- match candidates ----------------------------------------------------------------

    def index(self, object: str, build):
        """The page's :class:`~host.sync.twoway.candidates.CandidateIndex` of ``object``'s
        host records, built by ``build()`` on first use and kept current by :meth:`_linked`
        (or another per-page cache an apply module keeps under its own name)."""
        if object not in self._indexes:
            self._indexes[object] = build()
        return self._indexes[object]

    # -- links ---------------------------------------------------------------------------

    def link(self, external_id: str, object: str | None = None) -> SyncLink | None:
        """The link of ``object``'s (default: the run's) ledger record ``external_id``."""
        key = (object or self.object, external_id)
        if key not in self._links:
            self._links[key] = db.session.scalars(sa.select(SyncLink).filter_by(
                connection_id=self.connection.id, object=key[0],
                external_id=external_id)).first()
        return self._links[key]

    def link_for_host(self, host_id: int, object: str | None = None) -> SyncLink | None:
        return db.session.scalars(sa.select(SyncLink).filter_by(
            connection_id=self.connection.id, object=object or self.object, host_id=host_id,
            status="linked")).first()

    def linked_host_ids(self, object: str | None = None) -> set[int]:
        return set(db.session.scalars(sa.select(SyncLink.host_id).where(
            SyncLink.connection_id == self.connection.id,
            SyncLink.object == (object or self.object), SyncLink.status == "linked",
            SyncLink.host_id.is_not(None))))

    def open_link(self, record, label: str = "") -> SyncLink:
        """The link of ``record`` (new: origin provider), with its label refreshed."""
        external_id = str(record.external_id)[:100]
        row = self.link(external_id)
        if row is None:
            row = SyncLink(connection_id=self.connection.id, object=self.object,
                           external_id=external_id, origin="provider", status="waiting",
                           fingerprint={})
            db.session.add(row)
            self._links[(self.object, external_id)] = row
        if label:
            row.label = label[:LABEL_MAX]
        return row

    def _count(self, name: str) -> None:
        self._counts[name] = self._counts.get(name, 0) + 1

    def write_counts(self) -> None:
        """Add the page's outcomes to the setting's progress counts (each ``apply_page`` ends
        so: one UPDATE of the setting per page, not one per record flushed)."""
        for name, n in self._counts.items():
            setattr(self.setting, name, (getattr(self.setting, name) or 0) + n)
        self._counts.clear()

    def seen(self) -> None:
        self._count("seen")

    def _linked(self, row: SyncLink, host_id: int, record, fingerprint: dict) -> None:
        if self.object in self._indexes:
            self._indexes[self.object].link(host_id)
        row.host_id = host_id
        row.status = "linked"
        row.reason = row.fix = None
        row.payload = None
        row.fingerprint = fingerprint
        row.provider_version = (record.version or None) and str(record.version)[:100]
        row.synced_at = utcnow()

    def created(self, row, host_id, record, fingerprint, message) -> None:
        self._linked(row, host_id, record, fingerprint)
        row.log("imported", message)
        self._count("created")

    def matched(self, row, host_id, record, fingerprint, message, changes=None) -> None:
        self._linked(row, host_id, record, fingerprint)
        row.log("matched", message, changes)
        self._count("matched")

    def updated(self, row, record, fingerprint, message, changes=None) -> None:
        self._linked(row, row.host_id, record, fingerprint)
        if message:
            row.log("updated", message, changes)
        self._count("updated")

    def push_back(self, row: SyncLink) -> str:
        """After a conflict the host won: queue the push of the host's values when the
        object's direction also sends PSA -> provider (``host.sync.twoway.outbound``); returns
        the note for the history."""
        if not self.setting.outbound:
            return ("The host's values were kept; they reach the ledger only if PSA -> "
                    "provider is switched on.")
        from host.sync.twoway.outbound import push_back

        return ("The host's values were kept and go back to the ledger."
                if push_back(row) is not None else "The host's values were kept.")

    def already_seen(self, row: SyncLink, record) -> bool:
        """True when ``record`` is the ledger version this link last synced (its own push's
        answer, or a version already applied or settled by a conflict): listed again -- an
        overlap re-read, a pass before a push -- it changes nothing. Comparing its values with
        the fingerprint instead would take a value the host won a conflict against, still in
        the ledger until the push back lands, for a new ledger edit."""
        return (row.status == "linked" and bool(record.version)
                and row.provider_version == str(record.version)[:100])

    def unchanged(self, row, record) -> None:
        row.provider_version = (record.version or None) and str(record.version)[:100]

    def skip(self, row: SyncLink, reason: str, fix: str | None = None) -> None:
        """Mark ``row`` skipped with ``reason`` (and ``fix``, when the admin can change it)."""
        if row.status == "linked":  # never unlink a record already in the host
            return
        if row.status != "skipped" or row.reason != reason:
            row.log("skipped", reason)
        row.status = "skipped"
        row.reason, row.fix = reason, fix
        self._count("skipped")

    def wait(self, row: SyncLink, record, reason: str, fix: str) -> None:
        """Keep ``record`` waiting on the sync overview with ``reason`` and ``fix``; its
        payload is kept so Retry applies it again without asking the provider."""
        if row.status != "linked":
            row.status = "waiting"
        if row.reason != reason or row.status == "linked":
            row.log("waiting", f"{reason} {fix}".strip())
        row.reason, row.fix = reason, fix
        row.payload = payloads.to_payload(record)
        self._count("failed")

    def ambiguous(self, row: SyncLink, record, names: list[str]) -> None:
        shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
        reason = f"Several host records match: {shown}."
        if row.status != "ambiguous" or row.reason != reason:
            row.log("ambiguous", reason)
        row.status = "ambiguous"
        row.reason = reason
        row.fix = "Choose the host record on the reconciliation page, or rename one of them."
        row.payload = payloads.to_payload(record)
        self._count("failed")


def bounded(value: Any, limit: int) -> tuple[str, bool]:
    """``value`` as stripped text of at most ``limit`` characters, and whether it was cut."""
    text = "" if value is None else str(value).strip()
    text = "".join(ch for ch in text if ch >= " " or ch in "\t\n")
    return (text[:limit].rstrip(), True) if len(text) > limit else (text, False)
