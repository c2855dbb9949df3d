"""Property tests of the "What syncs" input rules (``host.services.sync_settings.clean``) and of
the card's POST: whatever comes in is either stored clean or refused naming a field (a 4xx),
never a 500 and never an invalid setting."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.contract.records import HOST_FIELDS, REQUIRED_HOST_FIELDS, SyncField
from host.integrations.testing import csrf_token
from host.models.sync_object import CONFLICT_POLICIES, DIRECTIONS
from host.services import sync_settings
from host.services.errors import InvalidField

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)

DECLARED = [
    SyncField("name", "Name", "customer", "name"),
    SyncField("email", "Email", "customer", "billing_email"),
    SyncField("contact", "Contact", "customer", "billing_contact_name"),
    SyncField("tax_id", "Tax ID", "customer", "tax_number", predefined=False),
    SyncField("vat", "VAT", "customer", "", predefined=False),
    SyncField("memo", "Memo", "invoice", "memo"),
    SyncField("po", "PO", "invoice", "reference", predefined=False),
]
CUSTOMERS = ["C1", "C2"]

words = st.sampled_from(["", "off", "out", "in", "both", "host", "provider", "name", "memo",
                         "billing_email", "tax_number", "reference", "tax_id", "vat", "po",
                         "open", "paid", "voided", "draft", "C1", "C2", "2026-01-31",
                         "2026-02-30", "x" * 120]) | st.text(max_size=12)
values = (st.none() | words | st.integers() | st.booleans() | st.lists(words, max_size=4)
          | st.lists(st.fixed_dictionaries({"key": words, "host_field": words}), max_size=3))
raws = st.dictionaries(st.sampled_from(["direction", "conflict", "off", "on", "extra",
                                        "created_after", "statuses", "customers",
                                        "include_without_sku"]), values)


@SETTINGS
@given(obj=st.sampled_from(["customer", "item", "invoice"]), raw=raws)
def test_clean_stores_only_valid_settings_or_names_the_field(obj, raw):
    try:
        clean = sync_settings.clean(obj, raw, declared=DECLARED, customer_choices=CUSTOMERS)
    except InvalidField as exc:
        assert exc.field and exc.message
        return
    assert clean.direction in DIRECTIONS and clean.conflict in CONFLICT_POLICIES
    off, extra = clean.fields["off"], clean.fields["extra"]
    assert len(set(off)) == len(off)
    assert not set(off) & set(REQUIRED_HOST_FIELDS[obj])
    hosts = [p["host_field"] for p in extra]
    assert len(set(hosts)) == len(hosts) and set(hosts) <= set(HOST_FIELDS[obj])
    keys = [p["key"] for p in extra]
    assert len(set(keys)) == len(keys)
    assert set(keys) <= {f.key for f in DECLARED if f.object == obj and not f.predefined}
    on = {f.host_field for f in DECLARED if f.object == obj and f.predefined} - set(off)
    assert not on & set(hosts)  # an added pair never fills a field a predefined pair fills
    if clean.filters.get("created_after"):
        date.fromisoformat(clean.filters["created_after"])
    assert set(clean.filters.get("customers", [])) <= set(CUSTOMERS)
    assert set(clean.filters.get("statuses", [])) <= set(sync_settings.STATUS_FILTERS[obj])


form_values = st.lists(words, max_size=3)
forms = st.dictionaries(st.sampled_from(["direction", "conflict", "fields_shown", "field_on",
                                         "extra_key", "extra_host", "remove_extra", "new_key",
                                         "new_host", "created_after", "statuses", "customers",
                                         "include_without_sku"]), form_values)


@pytest.fixture
def card_post(admin_client, connection_factory):
    """``card_post(object, form)``: POST a "What syncs" card of one connection, with the admin's
    CSRF token (one connection and token for all the examples of a test)."""
    url = f"/settings/integrations/connections/{connection_factory().id}"
    token = csrf_token(admin_client, url)

    def post(obj: str, form: dict):
        return admin_client.post(f"{url}/sync-objects/{obj}", data={"csrf_token": token, **form})

    return post


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=st.sampled_from(["customer", "item", "invoice"]), form=forms)
def test_any_posted_card_is_saved_or_refused_never_a_500(card_post, obj, form):
    assert card_post(obj, form).status_code in (302, 400, 422)
