"""The plugin machinery: plugin manager, provider registry, the guard every call into a plugin
goes through, and dispatch to the owning plugin."""
