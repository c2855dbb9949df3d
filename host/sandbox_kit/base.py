"""ProviderSandbox: the object a provider sandbox builds and the control API drives.

Subclass it (or pass callbacks) and override the hooks you need::

    class QboSandbox(ProviderSandbox):
        name = "qbo"
        def reset_state(self): ...                 # forget companies, tokens, ...
        def seed(self, payload): ...               # (re)create demo data; return a summary
        def mint_tokens(self, payload): ...        # {"client_id", "realm_id"} -> token response
        def render_webhook(self, target, events): ...   # bytes in the provider's format
        def sign_webhook(self, target, body): ...        # headers incl. the signature
        def rate_limit_response(self, rule, environ): ...  # (status, headers, body) for 429s
        def register_control_routes(self, bp): ...       # extra /_sandbox/ endpoints

    sandbox = QboSandbox(time_scale=60)
    sandbox.install(app)      # middlewares + /_sandbox/ blueprint; starts the webhook thread
"""
from __future__ import annotations

import json

from .clock import SandboxClock
from .faults import FaultInjector, FaultMiddleware, FaultRule
from .ratelimit import ConcurrencyGate, SlidingWindowLimiter
from .request_log import RequestLog, RequestLogMiddleware
from .webhooks import WebhookSender, WebhookTarget


class ProviderSandbox:
    """Holds the clock, faults, request log, rate limiters and webhook sender of one sandbox."""

    name = "sandbox"
    #: Retry delays (provider seconds) for webhook deliveries; the first entry is the delay
    #: of the first attempt.
    webhook_schedule: tuple[float, ...] = (0, 10, 20, 30)
    webhook_repeat_last = False
    webhook_timeout = 3.0
    webhook_batch_window = 0.0
    #: How the provider counts its rate-limit windows (QuickBooks: sliding; Xero: fixed).
    limiter_class: type = SlidingWindowLimiter

    def __init__(self, *, time_scale: float = 1.0, clock: SandboxClock | None = None,
                 request_log_size: int = 1000) -> None:
        self.clock = clock or SandboxClock(time_scale=time_scale)
        self.faults = FaultInjector()
        self.request_log = RequestLog(maxlen=request_log_size)
        self.limiter = self.limiter_class(self.clock)
        self.gate = ConcurrencyGate()
        self.webhooks = WebhookSender(
            self.clock, self.render_webhook, self.sign_webhook,
            schedule=self.webhook_schedule, repeat_last=self.webhook_repeat_last,
            timeout=self.webhook_timeout, batch_window=self.webhook_batch_window,
            on_failed=self.webhook_failed,
        )

    # -- hooks for subclasses ------------------------------------------------------------------
    def reset_state(self) -> None:
        """Forget provider state (companies, tokens, ...). Called by :meth:`reset`."""

    def seed(self, payload: dict) -> dict:
        """(Re)create demo data; ``payload`` is the JSON body of ``POST /_sandbox/seed``."""
        return {}

    def mint_tokens(self, payload: dict) -> dict:
        """Issue tokens without the browser dance (``POST /_sandbox/tokens``)."""
        raise NotImplementedError("this sandbox cannot mint tokens")

    def render_webhook(self, target: WebhookTarget, events: list) -> bytes:
        """Body of one delivery for a batch of events (default: a JSON array)."""
        return json.dumps(events, separators=(",", ":")).encode("utf-8")

    def sign_webhook(self, target: WebhookTarget, body: bytes) -> dict:
        """Headers of one delivery, including any signature (default: none)."""
        return {"Content-Type": "application/json"}

    def webhook_failed(self, delivery) -> None:
        """A delivery used up its retry schedule (default: it stays ``failed``, nothing else)."""

    def rate_limit_response(self, rule: FaultRule, environ: dict):
        """``(status, headers, body)`` for an injected ``rate_limit`` fault."""
        return 429, [("Content-Type", "application/json")], b'{"error":"rate_limited"}'

    def register_control_routes(self, bp) -> None:
        """Add provider-specific endpoints to the ``/_sandbox/`` blueprint."""

    def describe(self) -> dict:
        """Summary shown by ``GET /_sandbox/``."""
        return {"name": self.name}

    # -- machinery -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Clear faults, request log, rate-limit counters, webhook deliveries and the clock
        offset, then call :meth:`reset_state`."""
        self.faults.clear()
        self.request_log.clear()
        self.limiter.reset()
        self.gate.reset()
        self.webhooks.reset()
        self.clock.reset()
        self.reset_state()

    def install(self, app, *, start_webhooks: bool = True):
        """Wrap ``app`` with the request-log and fault middlewares, mount ``/_sandbox/``."""
        from .control import make_control_blueprint

        app.register_blueprint(make_control_blueprint(self))
        faulted = FaultMiddleware(app.wsgi_app, self.faults, self.rate_limit_response)
        app.wsgi_app = RequestLogMiddleware(faulted, self.request_log)
        app.extensions["sandbox_kit"] = self
        if start_webhooks:
            self.webhooks.start()
        return app

    def close(self) -> None:
        """Stop background threads."""
        self.webhooks.stop()
