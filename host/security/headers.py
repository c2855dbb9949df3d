"""Security headers on every response of the host, and the cookie flags that go with them.

* ``Content-Security-Policy``: scripts, styles, images and fetches only from this host (no
  inline script or style anywhere: ``host/static/app.js`` wires every behaviour from ``data-``
  attributes); ``frame-ancestors 'none'`` with ``X-Frame-Options: DENY`` against clickjacking.
  No ``form-action``: the OAuth start form is answered with a redirect to the provider, which
  browsers would check against it.
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (the sync Retry falls
  back to the Referer, which stays available inside the host, while provider pages and deep
  links see none).
* ``Strict-Transport-Security`` only on a request that arrived over HTTPS (behind a proxy,
  configure Werkzeug's ``ProxyFix`` so Flask knows).

Cookies (``host/config.py``): session and remember-me cookies are ``HttpOnly`` and
``SameSite=Lax``; ``Secure`` when ``PSA_BASE_URL`` is https (or set
``SESSION_COOKIE_SECURE`` / ``REMEMBER_COOKIE_SECURE`` explicitly).
"""

from __future__ import annotations

from flask import request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app) -> None:
    app.after_request(set_security_headers)
