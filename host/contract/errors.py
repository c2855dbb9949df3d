"""Typed errors a provider plugin raises; the host turns them into sync-record states.

A plugin never returns status codes. It raises one of these with a plain message (what went
wrong, in words an accountant understands) and a fix (what the admin should do). The host
stores ``category``, ``message`` and ``fix`` on the sync record, shows them on the invoice's
sync panel, and retries only when ``retryable`` is true, waiting at least ``retry_after``
seconds when the provider said how long.

Categories (stable strings, shown in the UI and the API):

``auth``           the provider refused our credentials; the connection needs the admin.
``validation``     the provider rejected the data (a required field, an invalid value).
``mapping``        the host data could not be mapped (no item, no tax code for a rate).
``conflict``       the provider's copy changed under us (stale version, duplicate name).
``not_found``      the object is gone at the provider (deleted or voided there).
``rate_limited``   the provider throttled us; retried after ``retry_after``.
``provider_down``  a 5xx, a timeout or a dropped connection; retried with backoff.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base class of every error a provider plugin raises on purpose.

    :param message: plain-language explanation, safe to show to an admin (never a token).
    :param fix: what the admin can do about it; defaults to the class's ``default_fix``.
    :param retryable: override the class default (e.g. a conflict the plugin knows is transient).
    :param retry_after: seconds the provider asked us to wait, if it said.
    :param code: the provider's own error code (``"6240"``, ``"ValidationException"``), for support.
    :param detail: the provider's own text, kept for the record's history (not the headline).
    """

    category = "provider"
    retryable = False
    default_fix = "Check the record at the provider, then retry."

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix if fix is not None else self.default_fix
        if retryable is not None:
            self.retryable = retryable
        self.retry_after = retry_after
        self.code = code
        self.detail = detail

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class AuthError(ProviderError):
    """Credentials were refused and refreshing did not help (revoked, expired, scope missing).

    The host marks the connection ``needs_reauth``, shows a Reconnect banner and parks pending
    work until the admin reconnects; nothing is marked failed for good.
    """

    category = "auth"
    default_fix = "Reconnect the integration from Settings > Integrations."


class ValidationError(ProviderError):
    """The provider rejected the data as invalid. Not retried until someone changes something."""

    category = "validation"
    default_fix = "Correct the invoice or the integration settings, then retry."


class MappingError(ProviderError):
    """Host data has no counterpart at the provider (no item for a service type, no tax code)."""

    category = "mapping"
    default_fix = "Complete the mappings on the integration's Manage page, then retry."


class ConflictError(ProviderError):
    """The provider's copy changed under us, or a unique name is already taken."""

    category = "conflict"
    default_fix = "Review the record at the provider, then retry."


class NotFoundError(ProviderError):
    """The object no longer exists at the provider (deleted or voided there)."""

    category = "not_found"
    default_fix = "The record was removed at the provider; decide whether to push it again."


class RateLimited(ProviderError):
    """The provider throttled the request. Retried after ``retry_after`` seconds."""

    category = "rate_limited"
    retryable = True
    default_fix = "Nothing to do: the host retries automatically when the provider allows it."


class ProviderDown(ProviderError):
    """A server error, a timeout or a dropped connection. Retried with exponential backoff.

    Raise it also when a write may have committed but its response was lost: the retry reuses
    the same idempotency key, so the provider answers with the first result instead of a copy.
    """

    category = "provider_down"
    retryable = True
    default_fix = "Nothing to do: the host retries automatically with backoff."


class PluginContractError(Exception):
    """Raised by the host when a plugin breaks the contract (returns None where a value is due,
    returns the wrong type, registers a duplicate provider key). A bug in the plugin, not a
    provider fault; shown to the admin with the plugin's name."""


class PluginFailure(PluginContractError):
    """A call into a plugin went wrong in a way the contract does not allow.

    Raised by the host's dispatcher (never by a plugin) when a hook, ``register_provider`` or a
    settings-form factory raises anything other than a :class:`ProviderError`, or returns the
    wrong type. ``plugin`` is the plugin's name (its entry-point name, which is its provider
    key), ``hook`` the hook or function that failed, ``reason`` what happened
    (``"RuntimeError: boom"``). The host logs the traceback once, with the plugin's name, and
    shows :attr:`message` and :attr:`fix` where a :class:`ProviderError` would be shown: the
    page stays up, the sync record fails with the plugin named.

    A plugin author sees one in the contract suite or a test when a hook has a bug: fix the
    hook, or turn the fault into the typed :class:`ProviderError` it really is.
    """

    def __init__(self, plugin: str, hook: str, reason: str, *, message: str | None = None,
                 fix: str | None = None) -> None:
        self.plugin = plugin
        self.hook = hook
        self.reason = reason
        self.message = message or f"The plugin {plugin!r} failed in {hook}: {reason}"
        self.fix = fix or (f"This is a fault of the plugin {plugin!r}, not of your data: report "
                           "it to the plugin's author (the host log holds the details), or block "
                           "the plugin with PSA_PLUGINS_BLOCKED.")
        super().__init__(self.message)


class HookTimeout(PluginFailure):
    """A hook called during a web request did not answer within ``PSA_WEB_HOOK_TIMEOUT``.

    The page answers at once with this message ("QuickBooks did not answer within 20 s"); the
    hook keeps running in its own thread and its result is dropped. ``seconds`` is the limit.
    Hooks called by the worker have no such limit: the sync lease covers them.
    """

    def __init__(self, plugin: str, hook: str, seconds: float, label: str | None = None) -> None:
        self.seconds = seconds
        who = label or f"The plugin {plugin!r}"
        super().__init__(
            plugin, hook, f"no answer within {seconds:g} s",
            message=f"{who} did not answer within {seconds:g} s ({hook}).",
            fix="Try again in a moment. If it keeps happening, the provider is slow or the "
                f"plugin {plugin!r} hangs: the host log names the call.")


CATEGORIES = {
    cls.category: cls
    for cls in (
        AuthError,
        ValidationError,
        MappingError,
        ConflictError,
        NotFoundError,
        RateLimited,
        ProviderDown,
    )
}
