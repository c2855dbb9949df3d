"""``bench/twoway_import.py --small`` keeps working: both sandboxes, 1x and 2x the records.

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


def test_small_import_benchmark_imports_everything_once_within_the_limits(tmp_path, capsys):
    import twoway_import

    results = twoway_import.main(["--small", "--json", str(tmp_path / "bench.json")])
    printed = capsys.readouterr().out

    assert [(r.provider, r.factor) for r in results] == [
        ("quickbooks", 1), ("quickbooks", 2), ("xero", 1), ("xero", 2)]
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
    assert (tmp_path / "bench.json").exists()
