"""Security helpers: token encryption at rest, permission decorators, tenant scoping."""
