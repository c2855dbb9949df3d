"""Dispatch calls only the owning plugin, wraps the connection in the host handle, and reports
contract violations with the plugin's name."""

from datetime import date
from decimal import Decimal

import pytest

import fakeledger
from hookspecs import ClientData, InvoiceData, LineData, PluginContractError, ValidationError, hookimpl
from host.integrations.dispatch import call_owner, call_provider, implements


def ledger_tokens():
    with fakeledger.LEDGER.lock:
        return fakeledger.LEDGER.issue_tokens()


def invoice(number="INV-1", total="120.00"):
    client = ClientData(id=7, name="Globex", billing_email="ap@globex.test")
    line = LineData(id=1, description="Consulting", quantity=Decimal("1"),
                    unit_price=Decimal(total), amount=Decimal(total))
    return InvoiceData(id=1, number=number, status="sent", currency="USD",
                       issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1), client=client,
                       lines=(line,), subtotal=Decimal(total), tax_total=Decimal("0"),
                       total=Decimal(total))


@pytest.fixture
def live_connection(connection_factory):
    return connection_factory(tokens=ledger_tokens(), settings={"default_item": "1"})


def test_hook_on_connect_lists_tenants_over_real_http(live_connection):
    info = call_owner(live_connection, "on_connect", callback_params={"realmId": "t-1"})
    assert [t.name for t in info.tenants] == ["Fake Books Inc"]
    assert info.settings_defaults["default_item"] == "1"


def test_hook_on_invoice_sent_is_idempotent_and_remembers_customer(live_connection):
    first = call_owner(live_connection, "on_invoice_sent", invoice=invoice(), idempotency_key="k1")
    again = call_owner(live_connection, "on_invoice_sent", invoice=invoice(), idempotency_key="k1")
    assert first.external_id == again.external_id
    assert first.number.startswith("INV-")
    assert len(fakeledger.LEDGER.invoices()) == 1
    from host.integrations.handle import handle_for

    assert handle_for(live_connection).refs.get("customer", 7) is not None


def test_hook_on_invoice_sent_raises_typed_errors(live_connection):
    fakeledger.LEDGER.fail_next("validation")
    with pytest.raises(ValidationError) as err:
        call_owner(live_connection, "on_invoice_sent", invoice=invoice(), idempotency_key="k2")
    assert err.value.category == "validation"
    assert "email" in err.value.message


def test_dispatch_calls_only_the_owner(make_app, org):
    class Other:
        calls = []

        @hookimpl
        def on_invoice_sent(self, connection, invoice, idempotency_key):
            self.calls.append(connection.id)

    app = make_app()
    app.extensions["psa"].register(Other(), name="other")
    from host.integrations.testing import make_connection

    cid = make_connection(app, org.business_unit_ids[0], "fakeprovider", tokens=ledger_tokens(),
                          settings={"default_item": "1"})
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        result = call_owner(db.session.get(Connection, cid), "on_invoice_sent",
                            invoice=invoice(), idempotency_key="k3")
    assert result.external_id
    assert Other.calls == []


class SilentProvider:
    """A plugin that breaks the contract: its hooks return nothing."""

    @hookimpl
    def verify_webhook(self, headers, body, config):
        return None

    @hookimpl
    def on_invoice_sent(self, connection, invoice, idempotency_key):
        return None


def _add_silent(app):
    import dataclasses

    pm = app.extensions["psa"]
    pm.register(SilentProvider(), name="silent")
    fake = app.extensions["psa_registry"]["fakeprovider"]
    app.extensions["psa_registry"].add("silent", dataclasses.replace(fake, key="silent"))


def test_none_result_is_a_contract_error_naming_the_plugin(app, org):
    _add_silent(app)
    with app.app_context():
        with pytest.raises(PluginContractError, match="silent.*verify_webhook"):
            call_provider("silent", "verify_webhook", headers={}, body=b"", config={})
    from host.integrations.testing import make_connection

    cid = make_connection(app, org.business_unit_ids[1], "silent")
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        with pytest.raises(PluginContractError, match="silent.*on_invoice_sent"):
            call_owner(db.session.get(Connection, cid), "on_invoice_sent", invoice=invoice(),
                       idempotency_key="k")


def test_unknown_provider_and_hook_are_reported(app):
    with app.app_context():
        assert implements("fakeprovider", "reconcile")
        assert not implements("nope", "reconcile")
        with pytest.raises(PluginContractError, match="not available"):
            call_provider("nope", "verify_webhook", headers={}, body=b"", config={})
        with pytest.raises(PluginContractError, match="no hook named"):
            call_provider("fakeprovider", "on_invoice_send", headers={}, body=b"", config={})
