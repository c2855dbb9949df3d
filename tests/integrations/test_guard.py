"""The guard around every call into a plugin (host.integrations.guard): what passes, what is
turned into PluginFailure, what is logged, and the time limit of a web request."""

import threading

import pytest

from hookspecs import (
    HookTimeout,
    MappingChoice,
    PluginFailure,
    TestResult,
    ValidationError,
)
from host.integrations.guard import guarded, hook_return_type, late_calls, wrong_result


def boom():
    raise RuntimeError("boom")


def failures(caplog):
    return [r for r in caplog.records if r.name == "host.integrations.guard"]


def test_typed_provider_errors_pass_through_unlogged(caplog):
    error = ValidationError("The customer has no email")

    def refuse():
        raise error

    with pytest.raises(ValidationError) as raised:
        guarded("myledger", "on_invoice_sent", refuse)
    assert raised.value is error
    assert failures(caplog) == []


def test_anything_else_is_a_plugin_failure_logged_once_with_the_traceback(caplog):
    with pytest.raises(PluginFailure) as raised:
        guarded("myledger", "list_mapping_choices", boom)
    failure = raised.value
    assert (failure.plugin, failure.hook, failure.reason) == (
        "myledger", "list_mapping_choices", "RuntimeError: boom")
    assert failure.message == ("The plugin 'myledger' failed in list_mapping_choices: "
                               "RuntimeError: boom")
    [record] = failures(caplog)
    assert "'myledger'" in record.getMessage() and record.exc_info[0] is RuntimeError


def test_a_nested_failure_keeps_its_name_and_is_logged_once(caplog):
    def settings_form():  # a form factory whose choices come from a failing hook
        return guarded("myledger", "list_mapping_choices", boom)

    with pytest.raises(PluginFailure) as raised:
        guarded("myledger", "settings_form", settings_form)
    assert raised.value.hook == "list_mapping_choices"
    assert len(failures(caplog)) == 1


def test_results_are_checked_against_the_hookspec():
    assert hook_return_type("test_connection") is TestResult
    choices = hook_return_type("list_mapping_choices")
    assert wrong_result([MappingChoice("1", "Services")], choices) is None
    assert wrong_result((MappingChoice("1", "Services"),), choices) is None
    assert wrong_result([("1", "Services")], choices) == (
        "returned a list holding tuple, not list[MappingChoice]")
    assert wrong_result({"1": "Services"}, choices) == "returned dict, not list[MappingChoice]"
    assert "returned None" in wrong_result(None, hook_return_type("on_disconnect"))
    assert wrong_result(False, hook_return_type("on_disconnect")) is None
    with pytest.raises(PluginFailure, match="myledger' failed in test_connection: returned "
                                            "dict, not TestResult"):
        guarded("myledger", "test_connection", lambda: {"ok": True}, expect=TestResult)


def test_no_time_limit_outside_a_web_request():
    assert guarded("myledger", "reconcile", threading.current_thread) is \
        threading.current_thread()


def test_in_a_web_request_the_call_has_its_own_thread_and_app_context(app):
    from flask import current_app

    with app.test_request_context("/"):
        thread, ctx_app = guarded(
            "myledger", "test_connection",
            lambda: (threading.current_thread(), current_app._get_current_object()))
    assert thread is not threading.current_thread() and ctx_app is app


def test_after_a_timeout_the_request_stops_calling_that_plugin(app, caplog):
    release = threading.Event()
    calls = []
    app.config["PSA_WEB_HOOK_TIMEOUT"] = 0.05
    try:
        with app.test_request_context("/"):
            with pytest.raises(HookTimeout, match=r"Fake Ledger did not answer within 0\.05 s"):
                guarded("myledger", "test_connection", release.wait, label="Fake Ledger")
            with pytest.raises(HookTimeout):
                guarded("myledger", "list_mapping_choices", lambda: calls.append(1))
            assert guarded("otherledger", "list_mapping_choices", lambda: ["ok"]) == ["ok"]
    finally:
        release.set()
    assert calls == []
    [record] = failures(caplog)  # the timeout, once; the call refused after it is not logged
    assert "'myledger': test_connection did not answer" in record.getMessage()


def test_while_calls_hang_past_their_request_new_requests_start_no_more(app, caplog):
    release = threading.Event()
    calls = []
    app.config.update(PSA_WEB_HOOK_TIMEOUT=0.05, PSA_WEB_HOOK_MAX_LATE=1)
    try:
        with app.test_request_context("/"):
            with pytest.raises(HookTimeout):
                guarded("lateledger", "test_connection", release.wait)
        assert late_calls("lateledger") == 1
        [hung] = [t for t in threading.enumerate()
                  if t.name == "psa-hook-lateledger-test_connection"]
        with app.test_request_context("/"):  # another page view
            with pytest.raises(HookTimeout, match="did not answer"):
                guarded("lateledger", "test_connection", lambda: calls.append(1))
    finally:
        release.set()
    hung.join()
    assert late_calls("lateledger") == 0 and calls == []
    assert [r.getMessage() for r in failures(caplog) if r.levelname == "WARNING"] == [
        "plugin 'lateledger': test_connection ended after its request gave up (answered); "
        "dropped"]
    with app.test_request_context("/"):
        assert guarded("lateledger", "test_connection", lambda: calls.append(1) or "ok") == "ok"
    assert calls == [1]
