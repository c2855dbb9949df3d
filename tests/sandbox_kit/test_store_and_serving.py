import httpx
from flask import Flask

from host.sandbox_kit import JsonStore, ServerThread


def test_json_store_survives_reopen(tmp_path):
    path = str(tmp_path / "sb.sqlite")
    store = JsonStore(path)
    store.save("company:1", {"Customer": {"1": {"DisplayName": "A"}}})
    store.close()
    again = JsonStore(path)
    assert again.load("company:1")["Customer"]["1"]["DisplayName"] == "A"
    assert again.load_all().keys() == {"company:1"}


def test_memory_store_is_noop():
    store = JsonStore()
    store.save("x", 1)
    assert store.load("x") is None and not store.persistent


def test_server_thread_picks_free_ports_and_stops():
    app = Flask("t")
    app.get("/")(lambda: "hi")
    a, b = ServerThread(app).start(), ServerThread(app).start()
    try:
        assert a.port != b.port
        assert httpx.get(a.url + "/").text == "hi"
    finally:
        a.stop()
        b.stop()
    try:
        httpx.get(a.url + "/", timeout=1)
        raise AssertionError("server still answering")
    except httpx.TransportError:
        pass
