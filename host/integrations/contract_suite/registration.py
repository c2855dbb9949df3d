"""Scenarios: the provider declares itself, renders its settings form and lists its choices."""

from __future__ import annotations

from host.contract.types import MappingChoice, ProviderInfo

HOST_ENTITIES = {"service_type", "tax_rate", "gl_account", "client", "class_label"}


class RegistrationScenarios:
    """``register_provider`` and the settings form it names."""

    def test_register_provider_returns_valid_info(self, app, provider_key):
        from host.integrations.registry import get_registry

        registry = get_registry(app)
        assert provider_key in registry, (
            f"{provider_key!r} is not available: {registry.unavailable_reason(provider_key)}")
        info = registry[provider_key]
        assert isinstance(info, ProviderInfo), "register_provider must return a ProviderInfo"
        assert info.key == provider_key == registry.plugin_name(provider_key), (
            "ProviderInfo.key must equal the entry-point name")
        assert info.category == "financial" and info.label, (
            "ProviderInfo needs a label and the category 'financial'")
        assert info.oauth.authorize_url and info.oauth.token_url, (
            "ProviderInfo.oauth needs the authorize and token URLs")
        for kind in info.mapping_kinds:
            assert kind.host_entity in HOST_ENTITIES, (
                f"mapping kind {kind.key!r} names host entity {kind.host_entity!r}; use one of "
                f"{sorted(HOST_ENTITIES)}")

    def test_settings_form_renders_with_csrf(self, app, provider_key, connected_connection):
        from host.forms.provider_settings import ProviderSettingsForm
        from host.integrations.handle import handle_for
        from host.integrations.registry import get_registry

        info = get_registry(app)[provider_key]
        with app.test_request_context("/"):
            handle = handle_for(connected_connection)
            try:
                form = info.settings_form(handle, None)
                assert isinstance(form, ProviderSettingsForm), (
                    "ProviderInfo.settings_form must build a ProviderSettingsForm subclass")
                html = "".join(str(field) for field in form)
            finally:
                handle.close()
        assert 'name="csrf_token"' in html, "the settings form renders no CSRF token"
        assert all(not name.lower().endswith("token") or name == "csrf_token"
                   for name in form._fields), "settings must never hold tokens"

    def test_hook_list_mapping_choices_returns_mapping_choices(self, app, db, provider_key,
                                                               connected_connection):
        from host.integrations.contract_suite.hooks import call, need
        from host.integrations.registry import get_registry

        need(app, provider_key, "list_mapping_choices")
        for kind in get_registry(app)[provider_key].mapping_kinds:
            choices = call(connected_connection, "list_mapping_choices", kind=kind.key)
            assert isinstance(choices, list), (
                f"list_mapping_choices({kind.key!r}) must return a list, not {choices!r}")
            assert all(isinstance(c, MappingChoice) and c.external_id and c.label
                       for c in choices), (
                f"list_mapping_choices({kind.key!r}) must return MappingChoice items with an "
                f"external_id and a label: {choices!r}")
