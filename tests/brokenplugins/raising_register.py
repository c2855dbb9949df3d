"""``register_provider`` raises: the plugin cannot even declare its provider."""

from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    raise LookupError("RAISINGREGISTER_CLIENT_ID is not configured")
