"""Shared machinery for the offline provider sandboxes (QuickBooks Online, Xero, ...).

Nothing in this package knows about a particular provider. A provider sandbox builds a Flask
app, creates a :class:`~host.sandbox_kit.base.ProviderSandbox` (or a subclass) and calls
``sandbox.install(app)``; that wraps the app with the request log and the fault injector and
mounts the ``/_sandbox/`` control API.

Modules (one concept each):

- :mod:`.clock`       advanceable, time-scaled clock
- :mod:`.faults`      fault rules and the WSGI middleware that applies them
- :mod:`.request_log` bounded log of requests and its WSGI middleware
- :mod:`.ratelimit`   sliding- and fixed-window counters and a concurrency gate
- :mod:`.webhooks`    background, signed, retried webhook deliveries
- :mod:`.signing`     RS256 JWTs and the JWKS of an OpenID Connect sandbox
- :mod:`.store`       optional SQLite persistence of JSON collections
- :mod:`.control`     the ``/_sandbox/`` blueprint
- :mod:`.base`        :class:`ProviderSandbox`, the object the control API drives
- :mod:`.serving`     :class:`ServerThread`, a real HTTP server in a thread (tests, demo)
"""
from .base import ProviderSandbox
from .clock import SandboxClock
from .control import make_control_blueprint
from .faults import FaultInjector, FaultRule
from .ratelimit import ConcurrencyGate, FixedWindowLimiter, SlidingWindowLimiter
from .request_log import RequestLog
from .serving import ServerThread
from .signing import RsaSigner
from .store import JsonStore
from .webhooks import WebhookSender, WebhookTarget

__all__ = [
    "ConcurrencyGate",
    "FaultInjector",
    "FaultRule",
    "FixedWindowLimiter",
    "JsonStore",
    "ProviderSandbox",
    "RequestLog",
    "RsaSigner",
    "SandboxClock",
    "ServerThread",
    "SlidingWindowLimiter",
    "WebhookSender",
    "WebhookTarget",
    "make_control_blueprint",
]
