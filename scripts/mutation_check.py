"""Mutation check: the shared contract suite must fail for every known way to break a plugin.

Run it from the repository root with the project's virtualenv::

    .venv/bin/python scripts/mutation_check.py            # every breakage
    .venv/bin/python scripts/mutation_check.py --list     # the breakages, by name
    .venv/bin/python scripts/mutation_check.py --only quantities_forced_to_1 --jobs 1

How it works: it copies the reference plugin (``tests/fakeprovider.py``, which passes the suite)
into a temporary folder under another module name, applies one breakage -- a named source
patch whose anchor text must exist, so the list cannot silently rot when the plugin changes --
and runs ``ProviderContractSuite`` against the copy in a subprocess (pytest on a small
generated test module that loads the copy through ``PSA_PLUGINS``). The unbroken copy runs
first and must pass; then every broken copy must fail. It prints ``caught N of M breakages``
and exits non-zero when a breakage survives, when the unbroken copy fails, or when pytest
itself could not run.

Add a breakage when you find a way a plugin can be wrong that the suite let through: add it
to :data:`BREAKAGES`, watch it survive, then add the scenario that catches it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
REFERENCE = TESTS / "fakeprovider.py"
MUTANT = "fakeprovider_mutant"


@dataclass(frozen=True)
class Breakage:
    """One way to break the reference plugin: replace ``anchor`` (which must occur exactly
    once in the plugin's source) with ``replacement``; several pairs for one breakage."""

    name: str
    what: str
    patches: tuple[tuple[str, str], ...]


#: Applied to every copy, broken or not: the copy is a plugin of its own name.
RENAME = (('KEY = "fakeprovider"', f'KEY = "{MUTANT}"'),)

BREAKAGES: tuple[Breakage, ...] = (
    # -- the six from issue 11 ---------------------------------------------------------------
    Breakage("repush_creates_again", "an invoice pushed before is created again, not updated",
             (("    if invoice.external:\n", "    if False:  # broken: never update\n"),)),
    Breakage("quantities_forced_to_1", "every line is sent with quantity 1",
             (('"quantity": str(line.quantity)', '"quantity": "1"'),)),
    Breakage("on_payment_returns_none", "on_payment books the payment but returns None",
             (('    return _result(_call(connection, "POST", "/api/payments", json=payload,\n'
               '                         headers={"Idempotency-Key": idempotency_key}))',
               '    _call(connection, "POST", "/api/payments", json=payload,\n'
               '          headers={"Idempotency-Key": idempotency_key})\n'
               '    return None'),)),
    Breakage("test_connection_raises", "test_connection raises instead of failing a check",
             (("    except ProviderError as exc:\n        return TestResult(",
               "    except ZeroDivisionError as exc:\n        return TestResult("),)),
    Breakage("credit_note_emailed", "the credit note is emailed to the customer",
             (('               "currency": credit_note.currency,\n',
               '               "currency": credit_note.currency, "send": True,\n'),)),
    Breakage("payment_in_allocation_dropped",
             "a payment from the provider comes back without its allocation",
             (('allocations=(PaymentAllocation(doc["invoice_id"], Decimal(doc["amount"])),),',
               "allocations=(),"),)),
    # -- the other obvious ones ---------------------------------------------------------------
    Breakage("payment_out_not_applied", "a host payment is booked without its invoice",
             (('payload = {"invoice_id": payment.invoice_external.external_id,',
               'payload = {"invoice_id": None,'),)),
    Breakage("differences_not_reported", "SyncResult.differences is always empty",
             (("differences=compare(document, _booked(doc)) if document else (),",
               "differences=(),"),)),
    Breakage("differences_always_reported", "a difference is reported for a faithful booking",
             (("differences=compare(document, _booked(doc)) if document else (),",
               'differences=("The Fake Ledger booked it differently.",),'),)),
    Breakage("emailed_not_reported", "SyncResult.emailed stays False when the ledger emailed",
             (('emailed=bool(doc.get("emailed")))', "emailed=False)"),)),
    Breakage("verify_webhook_accepts_anything", "verify_webhook returns True for any body",
             (("    return verify_hmac_sha256_base64(secret, body, headers.get(",
               "    return True or verify_hmac_sha256_base64(secret, body, headers.get("),)),
    Breakage("parse_webhook_drops_tenant", "webhook events name no tenant",
             (('tenant_id=e["tenant"]', 'tenant_id=""'),)),
    Breakage("parse_webhook_drops_events", "parse_webhook returns no events",
             (('for e in data["events"] if e["entity"] in ENTITIES]',
               'for e in data["events"] if False]'),)),
    Breakage("parse_webhook_provider_words", "events keep the ledger's entity names",
             (('entity=ENTITIES[e["entity"]]', 'entity=e["entity"]'),)),
    Breakage("reconcile_cursor_stuck", "reconcile's cursor never advances: payments repeat",
             (('cursor=data["cursor"])', 'cursor=cursor or "0")'),)),
    Breakage("write_check_leaves_record", "the write check does not delete its product",
             (("""        _call(connection, "DELETE", f"/api/items/{created['id']}")\n""", ""),)),
    Breakage("idempotency_key_not_sent", "the push does not send the idempotency key",
             (('    headers = {"Idempotency-Key": idempotency_key}\n    if invoice.external:',
               '    headers = {}\n    if invoice.external:'),)),
    Breakage("due_date_dropped", "the invoice is pushed without its due date",
             (('"due_date": invoice.due_date.isoformat(), ', ""),)),
    Breakage("tax_dropped", "lines are pushed without their tax code",
             (('"tax_code": _tax_code(connection, line)})', '"tax_code": None})'),)),
    Breakage("void_does_nothing", "on_invoice_voided reads the invoice instead of voiding it",
             (('_call(connection, "POST", f"/api/invoices/{invoice.external.external_id}/void"',
               '_call(connection, "GET", f"/api/documents/{invoice.external.external_id}"'),)),
    Breakage("credit_note_not_allocated", "the credit note is not applied to its invoice",
             (('"invoice": credit_note.invoice_external.external_id\n',
               '"invoice": None\n'),)),
    Breakage("conflict_untyped", "a 409 is raised as a ValidationError",
             (('raise ConflictError(message, code="409")',
               'raise ValidationError(message, code="409")'),)),
    Breakage("outage_not_retryable", "a 5xx is raised as a ValidationError (never retried)",
             (('raise ProviderDown(f"The Fake Ledger answered',
               'raise ValidationError(f"The Fake Ledger answered'),)),
    Breakage("test_connection_swallows_auth", "test_connection reports refused credentials "
             "as a failed check instead of raising AuthError",
             (("    except AuthError:\n        raise\n    except ProviderError as exc:",
               "    except ProviderError as exc:"),)),
    Breakage("on_disconnect_raises", "on_disconnect lets the provider's error escape",
             (("    except Exception:  # noqa: BLE001 - the contract: swallow and report False",
               "    except ZeroDivisionError:"),)),
    # -- two-way sync (issue 12) ---------------------------------------------------------------
    Breakage("list_records_drops_last_page", "the listing's last page comes back empty",
             (('            cursor = f"since:{start}"\n',
               '            cursor, data["records"] = f"since:{start}", []\n'),)),
    Breakage("list_records_cursor_restarts", "every change pass starts from the beginning: "
             "unchanged records come back",
             (("cursor = f\"since:{data['records'][-1]['seq']}\" if data[\"records\"] else cursor",
               'cursor = "since:0"'),)),
    Breakage("inbound_quantity_forced_to_1", "a ledger invoice's lines come in with quantity 1",
             (('description=line.get("description") or "", quantity=Decimal(line["quantity"]),',
               'description=line.get("description") or "", quantity=Decimal(1),'),)),
    Breakage("inbound_tax_dropped", "a ledger invoice's taxed line comes in without its tax",
             (('tax_percent=Decimal(rates[line["tax_code"]]) if line.get("tax_code") in rates '
               'else None,', "tax_percent=None,"),
              ('item_external_id=line.get("item") or "", tax_code=line.get("tax_code") or "",',
               'item_external_id=line.get("item") or "", tax_code="",'))),
    Breakage("inbound_customer_dropped", "a ledger invoice comes in without its customer",
             (('customer_external_id=doc.get("customer") or ""', 'customer_external_id=""'),)),
    Breakage("archived_listed_active", "an archived customer is listed as active",
             (('active=bool(c.get("active", True))', "active=True"),)),
    Breakage("unmappable_raises", "a record the plugin cannot read raises out of list_records",
             (("    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:",
               "    except ZeroDivisionError as exc:"),)),
    Breakage("sync_field_unknown_host_field", "a predefined pair names a host field the host "
             "does not have",
             (('("contact", "Contact person", "billing_contact_name", True)',
               '("contact", "Contact person", "contact", True)'),)),
    Breakage("push_record_creates_again", "push_record creates a second record on update",
             (("    linked = _linked(connection, kind, record.id) or _find(connection, object, "
               "record)", "    linked = None"),)),
    Breakage("push_record_blanks_empty", "push_record blanks a field sent empty",
             (("    return {k: v for k, v in payload.items() if v}  # never blank the ledger's "
               "value", "    return payload"),)),
    Breakage("send_email_ignored", "the admin's 'push without emailing' is ignored",
             (("    send = invoice.send_email\n", "    send = None\n"),)),
    Breakage("extra_field_not_pushed", "an invoice's extra mapped field is never written",
             (('    if invoice.fields.get("po_number"):', "    if False:"),)),
    Breakage("record_webhook_dropped", "a webhook about a customer changed in the ledger is "
             "dropped",
             (('"Customer": "customer", "Item": "item"}', "}"),)),
)

TEST_MODULE = '''\
"""Generated by scripts/mutation_check.py: the contract suite against PSA_PLUGINS."""

import os
import shutil
from pathlib import Path

import pytest

import fakeledger
from fakecontract import (  # noqa: F401  (the suite's fixtures)
    FakeProviderContract,
    callback_params,
    connected_connection,
    provider_state,
    sample_invoice,
)

PLUGIN = os.environ["PSA_PLUGINS"]
TEMPLATE_DB = Path(os.environ["MUTATION_TEMPLATE_DB"])


@pytest.fixture(scope="session")
def psa_template_db(psa_template_db):
    """The migrated database of the first run (the unbroken reference), reused by the rest:
    every copy has the same plugin name and no tables of its own."""
    def get(plugins):
        if not TEMPLATE_DB.exists():
            shutil.copyfile(psa_template_db(plugins), TEMPLATE_DB)
        return TEMPLATE_DB

    return get


@pytest.fixture(autouse=True)
def _fresh_ledger():
    fakeledger.LEDGER.reset()


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch):
    """Nobody logs in here: hash the ``org`` fixture's passwords cheaply (scrypt would be a
    third of the run)."""
    import host.models.user
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr(host.models.user, "generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))


@pytest.fixture
def psa_plugins():
    return (PLUGIN,)


@pytest.fixture
def provider_key():
    return PLUGIN


@pytest.fixture
def psa_provider_key():
    return PLUGIN


class TestMutantContract(FakeProviderContract):
    pass
'''


def apply(source: str, patches) -> str:
    for anchor, replacement in patches:
        count = source.count(anchor)
        if count != 1:
            raise SystemExit(f"mutation_check: anchor found {count} times in {REFERENCE.name} "
                             f"(expected once), update the breakage list:\n{anchor}")
        source = source.replace(anchor, replacement)
    return source


@dataclass
class Outcome:
    name: str
    returncode: int
    failed: list[str]
    seconds: float
    tail: str


def run_suite(workdir: Path, name: str, source: str) -> Outcome:
    """Write the plugin copy into its own folder and run the suite against it."""
    folder = workdir / name
    folder.mkdir()
    (folder / f"{MUTANT}.py").write_text(source)
    test_file = workdir / "test_mutant_contract.py"
    env = dict(os.environ, PSA_PLUGINS=MUTANT,
               MUTATION_TEMPLATE_DB=str(workdir / "template.db"),
               PYTHONPATH=os.pathsep.join([str(folder), str(TESTS), str(ROOT)]))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(test_file), "-x", "-q", "-rf", "-p", "no:randomly",
         "--assert=plain",
         "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(workdir)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    failed = re.findall(r"^FAILED \S+::(\S+)", output, re.M)
    return Outcome(name, proc.returncode, failed, time.monotonic() - started,
                   "\n".join(output.splitlines()[-25:]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=3, help="mutants run in parallel (3)")
    parser.add_argument("--only", action="append", default=[], help="run this breakage only")
    parser.add_argument("--list", action="store_true", help="list the breakages and exit")
    args = parser.parse_args(argv)
    if args.list:
        for b in BREAKAGES:
            print(f"{b.name:34} {b.what}")
        return 0
    unknown = set(args.only) - {b.name for b in BREAKAGES}
    if unknown:
        parser.error(f"unknown breakage(s): {sorted(unknown)}")
    chosen = [b for b in BREAKAGES if not args.only or b.name in args.only]
    reference = apply(REFERENCE.read_text(), RENAME)
    mutants = {b.name: apply(reference, b.patches) for b in chosen}  # every anchor, up front

    with tempfile.TemporaryDirectory(prefix="psa-mutation-") as tmp:
        workdir = Path(tmp)
        (workdir / "test_mutant_contract.py").write_text(TEST_MODULE)
        print("mutation_check: the unbroken reference plugin first ...", flush=True)
        baseline = run_suite(workdir, "reference", reference)
        if baseline.returncode != 0:
            print(f"mutation_check: the unbroken reference fails the suite "
                  f"(exit {baseline.returncode}):\n{baseline.tail}")
            return 2
        print(f"  reference passes ({baseline.seconds:.0f} s)", flush=True)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            outcomes = list(pool.map(lambda b: run_suite(workdir, b.name, mutants[b.name]),
                                     chosen))

    caught, survived, broken = [], [], []
    for breakage, outcome in zip(chosen, outcomes):
        if outcome.returncode == 1 and outcome.failed:
            caught.append(outcome)
            print(f"  caught   {breakage.name:34} by {outcome.failed[0]} "
                  f"({outcome.seconds:.0f} s)")
        elif outcome.returncode == 0:
            survived.append(outcome)
            print(f"  SURVIVED {breakage.name:34} {breakage.what}")
        else:
            broken.append(outcome)
            print(f"  ERROR    {breakage.name:34} pytest exit {outcome.returncode}:\n"
                  f"{outcome.tail}")
    print(f"caught {len(caught)} of {len(chosen)} breakages")
    return 0 if not survived and not broken else 1


if __name__ == "__main__":
    sys.exit(main())
