"""The shared matching rules both provider plugins apply (host.integrations.matching)."""

from host.contract.types import ClientData, ServiceTypeData
from host.integrations.matching import Candidate, match_client, match_service_type, unique_name

ACME = ClientData(7, "Acme Ltd", billing_contact_name="Ann Smith", billing_email="AP@acme.test")


def test_client_matches_by_billing_email_before_name():
    candidates = [Candidate("1", "Acme Limited", email="ap@acme.test"), Candidate("2", "Acme Ltd")]
    preview = match_client(ACME, candidates)
    assert (preview.outcome, preview.external_id, preview.reason) == ("match", "1",
                                                                       "same billing email")


def test_client_matches_by_account_number_then_name_ignoring_case_and_spaces():
    by_number = match_client(ACME, [Candidate("5", "Other", number="PSA-C-7")], number="PSA-C-7")
    assert (by_number.outcome, by_number.external_id) == ("match", "5")
    by_name = match_client(ACME, [Candidate("9", "  acme   LTD ")])
    assert (by_name.outcome, by_name.external_id) == ("match", "9")


def test_two_hits_are_ambiguous_with_both_candidates():
    preview = match_client(ACME, [Candidate("1", "Acme Ltd"), Candidate("2", "ACME LTD")])
    assert preview.outcome == "ambiguous"
    assert [c.external_id for c in preview.candidates] == ["1", "2"]


def test_name_taken_by_a_vendor_creates_a_unique_name_and_says_so():
    preview = match_client(ACME, [Candidate("3", "Acme Ltd", usable=False, kind="vendor")])
    assert preview.outcome == "create"
    assert preview.external_label == "Acme Ltd (2)"
    assert "vendor" in preview.reason and "Acme Ltd (2)" in preview.reason


def test_no_candidate_means_create_with_the_clients_name():
    preview = match_client(ACME, [Candidate("1", "Globex")])
    assert (preview.outcome, preview.external_label) == ("create", "Acme Ltd")


def test_unique_name_counts_up_and_respects_the_length_limit():
    assert unique_name("Acme", ["acme", "Acme (2)"]) == "Acme (3)"
    assert unique_name("A" * 10, ["A" * 10], max_length=10) == "A" * 6 + " (2)"
    assert unique_name("Free", ["Other"]) == "Free"


def test_service_type_matches_name_then_sku_else_default():
    items = [Candidate("2", "Consulting", sku="CONS"), Candidate("3", "Travel", sku="TRV"),
             Candidate("4", "Support", usable=False)]
    assert match_service_type(ServiceTypeData(1, "Consulting"), items).external_id == "2"
    by_sku = match_service_type(ServiceTypeData(2, "Trips", sku="TRV"), items)
    assert (by_sku.outcome, by_sku.external_id, by_sku.reason) == ("match", "3", "same SKU")
    fallback = match_service_type(ServiceTypeData(3, "Support"), items, default_label="Services")
    assert (fallback.outcome, fallback.external_label) == ("default", "Services")
