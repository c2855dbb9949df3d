"""The settings-form factory has a bug: it raises ``AttributeError`` before building the form."""

import dataclasses

from brokenplugins import declare
from fakeprovider import (  # noqa: F401 (working hooks)
    list_mapping_choices,
    on_connect,
    on_disconnect,
    test_connection,
)
from hookspecs import hookimpl


def settings_form(connection, formdata=None):
    return connection.settings.default_item  # a Mapping has no attributes


@hookimpl
def register_provider(config):
    info = declare(config, "raisingform", "Raising Form Ledger")
    return dataclasses.replace(info, settings_form=settings_form)
