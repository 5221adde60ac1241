"""The same seeds give the same files: what `folkrnn generate`, `batch` and `render` write
matches the fingerprints in reports/same_output.json (made by scripts/same_output.py).

A change that is meant to change the output re-records them
(`python scripts/same_output.py record reports/same_output.json`) and says so.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_cli_writes_what_it_wrote_before():
    proc = subprocess.run([sys.executable, "scripts/same_output.py", "check",
                           "reports/same_output.json", "--quick"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.startswith("all ") and "fingerprints the same" in proc.stdout
