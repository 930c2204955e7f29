"""bench/load.py runs against a real gunicorn, stops by itself and reports every request kind."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_load_script_reports_latencies_and_no_errors_on_a_short_run():
    done = subprocess.run([sys.executable, "bench/load.py", "--sessions", "2", "--seconds", "6", "--warmup", "2",
                           "--data", "data/demo"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in done.stdout.splitlines()
            if line.startswith("| ") and " ms " in line}
    assert "slider update (what the user waits for)" in rows and "slicer page (cards, charts, rep table)" in rows
    assert all(cells[-1].strip(" |") == "0" for cells in rows.values()), done.stdout  # no errors
    assert int(rows["slider update (what the user waits for)"][1].replace(",", "")) > 0
    assert "Worker memory (RSS, sampled each second): " in done.stdout and "recycled" in done.stdout
