"""The plugin template: a complete provider plugin to start from, shipped inside ``psa-host``.

``flask --app host integrations new-plugin myledger`` (or ``psa integrations new-plugin
myledger``) renders :data:`SKELETON` into a new distribution ``psa-myledger``: the entry
point, the hook module implementing every hook, a settings form, an API client, pure mappers,
a tiny provider sandbox built on :mod:`host.sandbox_kit` (which also implements the contract
suite's :class:`~host.integrations.provider_state.ProviderState`), and tests wired to the
host's pytest fixtures and :class:`~host.integrations.contract_suite.ProviderContractSuite`.
It passes its own tests the moment it is created; the generated README walks an author from
there to a real provider.

The skeleton is plain files, readable where pip installed the host
(``host/plugin_template/skeleton/``). Every file name ends in ``.tmpl`` (so the placeholders
never meet a Python compiler) and may hold the placeholders of :func:`placeholders`, written
``${name}`` (:class:`string.Template`; a literal dollar is ``$$``). File and folder names are
rendered too. See :mod:`host.plugin_template.render`.
"""

from host.plugin_template.render import (
    SKELETON,
    InvalidPluginName,
    TargetExists,
    placeholders,
    render_plugin,
    validate_name,
)

__all__ = ["SKELETON", "InvalidPluginName", "TargetExists", "placeholders", "render_plugin",
           "validate_name"]
