"""The import's candidate index gives the matching rules the same answer as every record would.

``host.sync.twoway.candidates`` hands ``match_client`` / ``match_inbound`` only the host records
sharing a key with the inbound record; whatever the names, e-mails, SKUs, spacing and case,
and whichever records are linked already, the outcome (match, ambiguous or create), the record
matched and the candidates offered must be those of the full list.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from host.contract.types import ClientData
from host.integrations import matching
from host.integrations.matching import Candidate
from host.sync.twoway.candidates import CandidateIndex, client_keys, service_type_keys

# few distinct values, so collisions (same e-mail, same name but for case or spacing) are common
NAMES = st.sampled_from(["Acme", "acme", " Acme  ", "ACME ltd", "Acme Ltd", "Globex", "", "Ölm"])
EMAILS = st.sampled_from(["", "ap@acme.test", "AP@acme.test ", "billing@globex.test"])
SKUS = st.sampled_from(["", "A-1", "a-1", " A-1 ", "B-2"])


def outcome(preview):
    return (preview.outcome, preview.external_id,
            tuple(c.external_id for c in preview.candidates))


@st.composite
def host_records(draw, kind):
    count = draw(st.integers(0, 12))
    records = [Candidate(external_id=str(i + 1), name=draw(NAMES),
                         email=draw(EMAILS) if kind == "client" else "",
                         sku=draw(SKUS) if kind == "item" else "",
                         usable=draw(st.booleans()), kind=kind) for i in range(count)]
    linked = draw(st.sets(st.integers(1, max(1, count))))
    return records, linked


@settings(max_examples=300, deadline=None)
@given(host_records("client"), NAMES, EMAILS)
def test_clients_match_as_against_every_client(records, name, email):
    rows, linked = records
    index = CandidateIndex(rows, client_keys, linked)
    data = ClientData(id=0, name=name, billing_email=email)
    everyone = [c for c in rows if int(c.external_id) not in linked]
    near = index.near(client_keys(Candidate(external_id="0", name=name, email=email)))
    assert outcome(matching.match_client(data, near, label="client")) == \
        outcome(matching.match_client(data, everyone, label="client"))


@settings(max_examples=300, deadline=None)
@given(host_records("item"), NAMES, SKUS)
def test_service_types_match_as_against_every_service_type(records, name, sku):
    rows, linked = records
    index = CandidateIndex(rows, service_type_keys, linked)
    everyone = [c for c in rows if int(c.external_id) not in linked]
    near = index.near(service_type_keys(Candidate(external_id="0", name=name, sku=sku)))
    assert outcome(matching.match_inbound(name, sku, near)) == \
        outcome(matching.match_inbound(name, sku, everyone))


def test_a_record_linked_or_created_during_the_run_is_seen():
    index = CandidateIndex([Candidate(external_id="1", name="Acme", email="ap@acme.test")],
                           client_keys, linked=())
    keys = client_keys(Candidate(external_id="0", name="Acme", email=""))
    assert [c.external_id for c in index.near(keys)] == ["1"]
    index.link(1)
    assert index.near(keys) == [] and index.name_taken(" ACME ")
    index.add(Candidate(external_id="2", name="Acme"))
    assert [c.external_id for c in index.near(keys)] == ["2"]
    assert not index.name_taken("Globex")
