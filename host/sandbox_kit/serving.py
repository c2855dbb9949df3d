"""Run a WSGI app on a real HTTP server in a background thread.

Used by tests (host, sandboxes, end-to-end) and by the demo command::

    with ServerThread(app) as server:        # port 0 picks a free port
        httpx.get(server.url + "/health")

The server is werkzeug's threaded dev server, so each request runs in its own thread and
``environ["werkzeug.socket"]`` is available (the ``drop_after_commit`` fault needs it).
"""
from __future__ import annotations

import logging
import threading

from werkzeug.serving import BaseWSGIServer, make_server


class ServerThread:
    """A started/stoppable werkzeug server; ``.url`` is ``http://host:port``."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self.quiet = quiet
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The bound port (still readable after :meth:`stop`)."""
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ServerThread":
        if self._server is not None:
            return self
        if self.quiet:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(self.host, self._requested_port, self.app, threaded=True)
        self._port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"ServerThread:{self._server.server_port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
