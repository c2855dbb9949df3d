"""Helpers for tests that need rows owned by other parts (a connection for provider payments)."""

from host.extensions import db


def make_connection(business_unit_id: int, provider_key: str = "fakeprovider") -> int:
    from host.models import Connection

    conn = Connection(business_unit_id=business_unit_id, provider_key=provider_key,
                      status="connected", settings={})
    db.session.add(conn)
    db.session.commit()
    return conn.id
