"""Fixtures for the inbound engine's tests (host.sync.twoway)."""

import pytest


@pytest.fixture
def connection(connection_factory, fake_ledger):
    """A connected fake-provider connection of ``org``'s first business unit, with tokens
    the fake ledger accepts (so pushes in the same test reach it)."""
    return connection_factory(settings={"default_item": "1"},
                              tokens=fake_ledger.issue_tokens())


@pytest.fixture
def inbound_run(db, connection):
    """``inbound_run(object, **setting) -> ImportRun`` for ``connection`` with the object's
    direction "in" (setting attributes such as ``conflict`` or ``filters`` given by keyword)."""
    from host.sync.twoway.run import ImportRun
    from host.sync.twoway.settings import setting_for

    def factory(object, **values):
        setting = setting_for(connection, object)
        setting.direction = "in"
        for name, value in values.items():
            setattr(setting, name, value)
        db.session.commit()
        return ImportRun(connection, setting)

    return factory
