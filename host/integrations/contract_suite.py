"""The shared provider contract suite (Odoo's ``PaymentCommon`` idea, for pytest).

Every provider plugin runs it against itself::

    # plugins/myledger/tests/test_contract.py
    import pytest
    from host.integrations.testing import ProviderContractSuite

    class TestMyLedgerContract(ProviderContractSuite):
        pass

    # plugins/myledger/tests/conftest.py provides the fixtures below.

Fixtures the plugin provides (function scope):

``psa_plugins``            the plugin names the ``app`` loads, e.g. ``("myledger",)``.
``provider_key``           the provider key, e.g. ``"myledger"`` (= entry-point name).
``connected_connection``   a ``host.models.Connection``, connected to the plugin's sandbox with
                           a tenant chosen and settings that let an invoice push succeed.
``sample_invoice``         an ``InvoiceData`` that pushes cleanly through that connection.
``signed_webhook``         ``(headers, body)`` of a delivery the plugin's ``verify_webhook``
                           accepts (signed with ``app.config``'s webhook key).
``inject_fault``           ``inject_fault(category)`` makes the provider's next write fail as
                           ``"validation"``, ``"rate_limited"`` or ``"provider_down"``.

The host's fixtures (``app``, ``db``, ``org`` ...) come from the ``psa`` pytest plugin.
"""

from __future__ import annotations

import pytest

from host.contract.errors import ProviderError, ProviderDown, RateLimited, ValidationError
from host.contract.types import MappingChoice, ProviderInfo, TestResult

FAULTS = {"validation": ValidationError, "rate_limited": RateLimited, "provider_down": ProviderDown}


class ProviderContractSuite:
    """Subclass as ``Test<Provider>Contract``; every test here runs against your plugin."""

    # -- registration -----------------------------------------------------------------------

    def test_register_provider_returns_valid_info(self, app, provider_key):
        from host.integrations.registry import get_registry

        registry = get_registry(app)
        assert provider_key in registry, (
            f"{provider_key!r} is not available: {registry.unavailable_reason(provider_key)}")
        info = registry[provider_key]
        assert isinstance(info, ProviderInfo)
        assert info.key == provider_key == registry.plugin_name(provider_key), (
            "ProviderInfo.key must equal the entry-point name")
        assert info.category == "financial" and info.label
        assert info.oauth.authorize_url and info.oauth.token_url
        for kind in info.mapping_kinds:
            assert kind.host_entity in {"service_type", "tax_rate", "gl_account", "client",
                                        "class_label"}

    # -- settings form ----------------------------------------------------------------------

    def test_settings_form_renders_with_csrf(self, app, provider_key, connected_connection):
        from host.forms.provider_settings import ProviderSettingsForm
        from host.integrations.handle import handle_for
        from host.integrations.registry import get_registry

        info = get_registry(app)[provider_key]
        with app.test_request_context("/"):
            handle = handle_for(connected_connection)
            try:
                form = info.settings_form(handle, None)
                assert isinstance(form, ProviderSettingsForm)
                html = "".join(str(field) for field in form)
            finally:
                handle.close()
        assert 'name="csrf_token"' in html
        assert all(not name.lower().endswith("token") or name == "csrf_token"
                   for name in form._fields), "settings must never hold tokens"

    # -- connection lifecycle ---------------------------------------------------------------

    def test_test_connection_returns_checks(self, db, connected_connection):
        from host.integrations.dispatch import call_owner

        result = call_owner(connected_connection, "test_connection", write_check=False)
        assert isinstance(result, TestResult) and result.checks
        for check in result.checks:
            assert check.status in ("pass", "warn", "fail") and check.name and check.message
            if check.status == "fail":
                assert check.fix, f"failed check {check.name!r} needs a fix text"

    # -- outbound ---------------------------------------------------------------------------

    def test_on_invoice_sent_is_idempotent(self, db, connected_connection, sample_invoice):
        from host.integrations.dispatch import call_owner

        first = call_owner(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                           idempotency_key="contract-idem-1")
        again = call_owner(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                           idempotency_key="contract-idem-1")
        assert first.external_id and first.external_id == again.external_id

    @pytest.mark.parametrize("category", sorted(FAULTS))
    def test_errors_are_typed(self, db, connected_connection, sample_invoice, inject_fault,
                              category):
        from host.integrations.dispatch import call_owner

        inject_fault(category)
        with pytest.raises(ProviderError) as err:
            call_owner(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                       idempotency_key=f"contract-fault-{category}")
        assert isinstance(err.value, FAULTS[category])
        assert err.value.category == category and err.value.message and err.value.fix
        assert err.value.retryable == (category != "validation")

    # -- inbound ----------------------------------------------------------------------------

    def test_verify_webhook_rejects_a_tampered_body(self, app, provider_key, signed_webhook):
        from host.integrations.dispatch import call_provider

        headers, body = signed_webhook
        with app.app_context():
            assert call_provider(provider_key, "verify_webhook", headers=headers, body=body,
                                 config=app.config) is True
            tampered = body[:-1] + (b" " if body[-1:] != b" " else b"\n")
            assert call_provider(provider_key, "verify_webhook", headers=headers, body=tampered,
                                 config=app.config) is False

    # -- mapping ----------------------------------------------------------------------------

    def test_list_mapping_choices_returns_mapping_choices(self, app, db, provider_key,
                                                          connected_connection):
        from host.integrations.dispatch import call_owner
        from host.integrations.registry import get_registry

        for kind in get_registry(app)[provider_key].mapping_kinds:
            choices = call_owner(connected_connection, "list_mapping_choices", kind=kind.key)
            assert isinstance(choices, list)
            assert all(isinstance(c, MappingChoice) and c.external_id and c.label
                       for c in choices), kind.key
