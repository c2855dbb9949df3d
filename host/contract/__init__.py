"""The plugin contract's leaf modules: typed errors and frozen result types.

Nothing here imports Flask or SQLAlchemy, so ``import hookspecs`` never builds an app.
Plugin authors import these names from :mod:`hookspecs`, which re-exports them.
"""
