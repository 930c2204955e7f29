"""No compile pause on first use (issue 17): the set-up's warm-up caches every compiled kernel."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KERNEL_MODULES = ("kernels", "lockstep", "refine_kernel", "rebalance_kernel")


def cached_kernels() -> set[str]:
    """"module.function" of every function compiled on its own with @njit(cache=True) (one that is
    inlined into its callers has no machine code of its own)."""
    names = set()
    for module in KERNEL_MODULES:
        tree = ast.parse((ROOT / "engine" / f"{module}.py").read_text())
        for node in tree.body:
            keywords = {k.arg for d in getattr(node, "decorator_list", []) if isinstance(d, ast.Call)
                        for k in d.keywords}
            if isinstance(node, ast.FunctionDef) and "cache" in keywords and "inline" not in keywords:
                names.add(f"{module}.{node.name}")
    return names


@pytest.mark.slow
def test_the_warm_up_compiles_and_caches_every_kernel(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "engine.warm"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    assert "compiled kernels cached in" in result.stdout
    cached = {path.name.split("-")[0] for path in tmp_path.rglob("*.nbi")}
    expected = cached_kernels()
    assert len(expected) > 30
    assert expected - cached == set()
