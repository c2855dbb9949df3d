"""``bench/twoway_import.py --small`` keeps working: both sandboxes, the records once.

Counts, never times: every seeded record is imported exactly once (the sandboxes' own few demo
records come along; their inactive or category records are skipped), nothing fails, no provider
record is linked twice, no window of any of the provider's limits ever held more requests than
the limit allows, and the import reads pages (at least 10 records a request) rather than a
record at a time. How fast it went is printed by the script, not asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

pytestmark = pytest.mark.e2e

#: The sandbox tenants' own demo customers, products and invoices (at most this many each).
DEMO_RECORDS = 10


@pytest.mark.timeout(1200)  # two worlds and 3,400 records over HTTP: minutes, not seconds
def test_small_import_benchmark_imports_everything_once_within_the_limits(tmp_path, capsys):
    import twoway_import

    results = twoway_import.main(["--small", "--factors", "1",
                                  "--json", str(tmp_path / "bench.json")])
    printed = capsys.readouterr().out

    assert [(r.provider, r.factor) for r in results] == [("quickbooks", 1), ("xero", 1)]
    for run in results:
        where = f"{run.provider} x{run.factor}"
        assert [o.object for o in run.objects] == ["customer", "item", "invoice"], where
        for o in run.objects:
            seeded = run.seeded.of(o.object)
            assert (o.status, o.failed) == ("done", 0), (where, o)
            assert seeded <= o.records <= seeded + DEMO_RECORDS, (where, o)
            assert o.skipped <= DEMO_RECORDS, (where, o)
            assert o.requests * 10 <= seeded, (where, o.object, o.requests, o.endpoints)
            for name, allowed, _ in run.limits:
                assert o.busiest[name] <= allowed, (where, o.object, name, o.busiest)
        imported = {o.object: o.records for o in run.objects}
        assert run.host_rows["clients"] == imported["customer"], where
        assert run.host_rows["service_types"] == imported["item"], where
        assert run.host_rows["invoices"] == imported["invoice"], where
        assert run.host_rows["links_held_twice"] == 0, where
        assert run.rss_before_kib > 0 and run.peak_kib >= run.rss_before_kib, where
    assert "QuickBooks: limits per connection" in printed and "Xero: limits" in printed
    again = twoway_import.main(["--report", str(tmp_path / "bench.json")])
    assert [(r.provider, r.objects) for r in again] == [(r.provider, r.objects) for r in results]


def test_the_report_compares_the_peaks_and_flags_a_window_over_the_limit(capsys):
    """What the full run prints at 1x and 2x, from measurements made up here."""
    import twoway_import as bench

    def measured(factor, busiest, peak_mib):
        invoices = bench.ObjectResult(
            object="invoice", records=100 * factor, skipped=0, failed=0, requests=10 * factor,
            seconds=60.0, provider_seconds=6.0, busiest={"per minute": busiest},
            endpoints={"GET /Invoices": 10 * factor}, statuses={200: 10 * factor},
            status="done")
        return bench.RunResult("xero", factor, bench.Counts(0, 0, 100 * factor),
                               [("per minute", 60, 60.0)], [invoices],
                               rss_before_kib=100 * 1024, peak_kib=peak_mib * 1024)

    printed = bench.report([measured(1, 10, 120), measured(2, 61, 126)])

    assert "peak x2 / peak x1: 1.05 (import's own growth: 1.30" in printed
    assert "x1: seeded" in printed and "limit exceeded: never" in printed
    assert "limit exceeded: invoice per minute 61 > 60" in printed
