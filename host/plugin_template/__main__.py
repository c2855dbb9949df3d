"""``python -m host.plugin_template NAME [--directory DIR]``: the ``integrations new-plugin``
command without loading the host app (no configuration needed to start a plugin)."""

from host.cli import new_plugin

if __name__ == "__main__":
    new_plugin(prog_name="python -m host.plugin_template")
