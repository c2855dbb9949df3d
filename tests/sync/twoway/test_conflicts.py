"""Per-field conflict resolution (host.sync.twoway.conflicts): pure, so tested exhaustively."""

from decimal import Decimal

from hypothesis import given, strategies as st

from host.sync.twoway.conflicts import as_text, resolve

LAST = {"name": "Acme", "billing_email": "ap@acme.test"}


def test_a_field_changed_only_in_the_ledger_is_taken():
    r = resolve(LAST, {"name": "Acme", "billing_email": "ap@acme.test"},
                {"name": "Acme Ltd", "billing_email": "ap@acme.test"}, "host")
    assert r.to_host == {"name": "Acme Ltd"}
    assert not r.push_back and not r.conflicts
    assert r.fingerprint["name"] == "Acme Ltd"


def test_a_field_changed_only_in_the_host_is_left_to_the_push():
    r = resolve(LAST, {"name": "Acme Corp", "billing_email": "ap@acme.test"}, LAST, "provider")
    assert r.to_host == {} and not r.push_back and r.changes == ()
    assert r.fingerprint["name"] == "Acme"  # the push updates it once the ledger has it


def test_a_conflict_goes_to_the_policy_and_says_what_was_overwritten():
    host = {"name": "Acme Corp", "billing_email": "ap@acme.test"}
    ledger = {"name": "Acme Ltd", "billing_email": "ap@acme.test"}
    psa = resolve(LAST, host, ledger, "host")
    assert psa.to_host == {} and psa.push_back
    (change,) = psa.conflicts
    assert (change.field, change.host, change.provider, change.kept) == (
        "name", "Acme Corp", "Acme Ltd", "host")
    ledger_wins = resolve(LAST, host, ledger, "provider")
    assert ledger_wins.to_host == {"name": "Acme Ltd"} and not ledger_wins.push_back
    assert ledger_wins.conflicts[0].kept == "provider"


def test_both_sides_making_the_same_change_is_no_conflict():
    r = resolve(LAST, {"name": "New"}, {"name": "New"}, "host")
    assert r.changes == () and r.fingerprint == {"name": "New"}


def test_with_the_inbound_direction_off_the_ledger_never_writes_to_the_host():
    r = resolve(LAST, LAST, {"name": "Acme Ltd", "billing_email": "ap@acme.test"}, "provider",
                inbound=False)
    assert r.to_host == {} and r.changes[0].kept == "host"


def test_money_compares_by_value():
    assert as_text(Decimal("10")) == as_text(Decimal("10.00")) == "10.00"
    assert as_text(Decimal("0.125")) == "0.125"


values = st.text(max_size=5)


@given(last=st.dictionaries(st.sampled_from("abc"), values),
       host=st.fixed_dictionaries({k: values for k in "abc"}),
       ledger=st.fixed_dictionaries({k: values for k in "abc"}),
       policy=st.sampled_from(["host", "provider"]))
def test_after_resolving_the_host_agrees_with_the_winner(last, host, ledger, policy):
    r = resolve(last, host, ledger, policy)
    applied = {**{k: as_text(v) for k, v in host.items()}, **r.to_host}
    for change in r.changes:
        winner = change.provider if change.kept == "provider" else change.host
        assert applied[change.field] == winner
    # a field equal on both sides is never reported, and never a conflict
    for k in "abc":
        if as_text(host[k]) == as_text(ledger[k]):
            assert all(c.field != k for c in r.changes)
