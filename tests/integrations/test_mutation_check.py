"""scripts/mutation_check.py: the contract suite fails for every known breakage of a plugin."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "mutation_check.py"


def _script():
    spec = importlib.util.spec_from_file_location("mutation_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_breakage_applies_to_the_reference_plugin_and_changes_it():
    check = _script()
    reference = check.apply(check.REFERENCE.read_text(), check.RENAME)
    names = [b.name for b in check.BREAKAGES]
    assert len(names) == len(set(names))
    for breakage in check.BREAKAGES:
        assert check.apply(reference, breakage.patches) != reference, breakage.name


def test_mutation_check_catches_every_breakage():
    check = _script()
    proc = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True,
                          text=True, timeout=1200)
    total = len(check.BREAKAGES)
    assert f"caught {total} of {total} breakages" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
