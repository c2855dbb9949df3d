"""Fixtures for the sandbox-kit tests: a tiny Flask app wired with a ProviderSandbox."""
import threading

import pytest
from flask import Flask, jsonify, request

from host.sandbox_kit import ProviderSandbox, ServerThread


class DemoSandbox(ProviderSandbox):
    name = "demo"
    webhook_schedule = (0, 10, 20)

    def __init__(self, **kw):
        self.items: list = []
        self.lock = threading.Lock()
        super().__init__(**kw)

    def reset_state(self):
        with self.lock:
            self.items.clear()

    def seed(self, payload):
        with self.lock:
            self.items.extend(payload.get("items", []))
        return {"items": len(self.items)}

    def mint_tokens(self, payload):
        return {"access_token": "at-" + payload.get("client_id", "x")}

    def sign_webhook(self, target, body):
        return {"Content-Type": "application/json", "x-signature": f"{target.secret}:{len(body)}"}


@pytest.fixture
def demo_sandbox():
    sandbox = DemoSandbox(time_scale=100)
    app = Flask("demo")

    @app.post("/items")
    def create():
        with sandbox.lock:
            sandbox.items.append(request.get_json())
        return jsonify(ok=True, count=len(sandbox.items))

    @app.get("/items")
    def listing():
        return jsonify(items=sandbox.items)

    sandbox.install(app)
    with ServerThread(app) as server:
        sandbox.url = server.url
        yield sandbox
    sandbox.close()
