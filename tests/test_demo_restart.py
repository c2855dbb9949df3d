"""Restarting the demo right after Ctrl-C: its port check must not take the previous run's
connections (TIME_WAIT for a minute) for a server still running."""

import socket

from host.demo import _port_free


def _listening() -> socket.socket:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_a_port_whose_server_stopped_is_free_although_its_connections_linger():
    server = _listening()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server closes first (HTTP/1.0): TIME_WAIT on the server's port
    client.close()
    server.close()
    assert _port_free("127.0.0.1", port)


def test_a_port_with_a_running_server_is_busy():
    server = _listening()
    try:
        assert not _port_free("127.0.0.1", server.getsockname()[1])
    finally:
        server.close()
