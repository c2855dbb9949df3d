"""Scenarios: every fault the provider answers becomes the documented typed error.

For each category the provider state can inject (:data:`ALL_FAULTS`, at least
:data:`REQUIRED_FAULTS`), the next write of a push fails that way (``conflict`` and
``not_found``, which a provider answers only about a record that exists, on the push that
updates an invoice pushed before) and the plugin must raise the
error the host knows how to show and retry, with a message, a fix and the right ``retryable``.
"""

from __future__ import annotations

import pytest

from host.contract.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    ProviderDown,
    ProviderError,
    RateLimited,
    ValidationError,
)
from host.integrations.contract_suite import documents
from host.integrations.contract_suite.hooks import call, need
from host.integrations.contract_suite.outbound import push
from host.integrations.provider_state import ALL_FAULTS, REQUIRED_FAULTS

#: The fault the provider answers -> the typed error the plugin raises.
EXPECTED_ERRORS: dict[str, type[ProviderError]] = {
    "validation": ValidationError,
    "rate_limited": RateLimited,
    "provider_down": ProviderDown,
    "auth": AuthError,
    "conflict": ConflictError,
    "not_found": NotFoundError,
    "lost_response": ProviderDown,
}

#: Faults a provider answers only to a write on a record it holds (a stale version, a record
#: deleted meanwhile): injected on the update of an invoice pushed before.
UPDATE_FAULTS = frozenset({"conflict", "not_found"})


class ErrorScenarios:
    """Typed errors for ``on_invoice_sent``."""

    def test_provider_state_can_inject_the_required_faults(self, provider_state):
        missing = REQUIRED_FAULTS - set(provider_state.fault_categories)
        assert not missing, (
            f"your provider_state cannot inject {sorted(missing)}; every provider state must "
            f"produce {sorted(REQUIRED_FAULTS)}")
        unknown = set(provider_state.fault_categories) - ALL_FAULTS
        assert not unknown, (
            f"fault_categories names {sorted(unknown)}, which the suite does not know; "
            f"use {sorted(ALL_FAULTS)}")

    @pytest.mark.parametrize("category", sorted(ALL_FAULTS))
    def test_hook_on_invoice_sent_raises_typed_errors(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state,
            category):
        need(app, provider_key, "on_invoice_sent")
        if category not in provider_state.fault_categories:
            pytest.skip(f"the provider state cannot inject {category!r}")
        expected = EXPECTED_ERRORS[category]
        invoice = sample_invoice
        if category in UPDATE_FAULTS:
            first = push(connected_connection, sample_invoice, f"contract-fault-{category}-0",
                         "the first push")
            invoice = documents.edited(documents.pushed(sample_invoice, first))
        provider_state.inject_fault(category)
        try:
            call(connected_connection, "on_invoice_sent", invoice=invoice,
                 idempotency_key=f"contract-fault-{category}")
        except Exception as exc:  # noqa: BLE001 - checked below
            err = exc
        else:
            pytest.fail(f"the provider answered {category!r}, yet on_invoice_sent returned "
                        f"normally; raise {expected.__name__}")
        assert isinstance(err, expected), (
            f"when the provider answers {category!r}, the push must raise "
            f"{expected.__name__}; your plugin raised {type(err).__name__}: {err}")
        assert err.category == expected.category, (
            f"{type(err).__name__}.category is {err.category!r}, expected {expected.category!r}")
        assert err.message and err.fix, (
            f"the {type(err).__name__} needs a plain message and a fix for the admin")
        if category == "conflict":  # a stale version may be retried, a taken name may not
            return
        assert err.retryable == expected.retryable, (
            f"a {category!r} fault must be {'retried' if expected.retryable else 'not retried'}"
            f"; your {type(err).__name__} says retryable={err.retryable}")
