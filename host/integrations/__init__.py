"""The plugin machinery: plugin manager, provider registry, dispatch to the owning plugin."""
