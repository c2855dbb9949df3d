"""Safe redirects: a ``next`` parameter or the Referer may only lead back into this host.

Browsers read a ``Location`` more loosely than ``urlsplit`` does: they drop tabs and newlines
anywhere, strip leading control characters and spaces, and treat ``\\`` as ``/``. So
``/\\t/evil.example`` arrives as ``//evil.example``, another site. :func:`safe_target`
normalises the way a browser would (and a little more: every control character and space is
dropped for the check) and accepts only a path on this host; it returns the rebuilt
``path?query#fragment``, never the raw input.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from flask import redirect, request

_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f]")


def safe_target(target: str | None, host: str | None = None) -> str | None:
    """``target`` as a same-origin path, or None when it could lead elsewhere.

    An absolute URL is accepted only when its host is ``host`` (this request's host, for the
    Referer); only its path, query and fragment are kept.
    """
    if not target:
        return None
    cleaned = _IGNORED.sub("", target.replace("\\", "/"))
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # e.g. a host that changes under NFKC normalisation
        return None
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not host or parts.netloc != host:
            return None
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return None
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def redirect_back(default: str, *candidates: str | None):
    """Redirect to the first safe ``candidates`` entry (a ``next`` value, the Referer...),
    else to ``default``."""
    for candidate in candidates:
        target = safe_target(candidate, request.host)
        if target is not None:
            return redirect(target)
    return redirect(default)
