"""Every demo runs with --quick and writes the pictures it promises (checked by their bytes)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PNG, GIF = b"\x89PNG\r\n\x1a\n", b"GIF8"

# demo -> files it must write under --out (directories end with "/")
EXPECTED = {
    "fit_function.py": ["fit_line.png", "fit_line.gif", "fit_quadratic.png", "fit_mlp.png"],
    "single_neuron.py": ["neuron_forward.svg", "neuron_backward.svg", "neuron_backward.png",
                         "neuron_frames/", "neuron_player.html"],
    "backprop_vs_numeric.py": ["backprop_vs_numeric.png"],
}


def run_demo(name: str, out: Path) -> str:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    command = [sys.executable, str(ROOT / "demos" / name), "--quick", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def check_file(path: Path) -> None:
    assert path.exists(), f"missing {path}"
    if path.is_dir():
        files = sorted(path.iterdir())
        assert len(files) >= 2, f"{path} has {len(files)} files"
        for f in files:
            check_file(f)
        return
    data = path.read_bytes()
    assert len(data) > 200, f"{path} is only {len(data)} bytes"
    if path.suffix == ".png":
        assert data.startswith(PNG)
    elif path.suffix == ".gif":
        assert data.startswith(GIF)
    elif path.suffix == ".svg":
        assert b"<svg" in data[:2000] and b"</svg>" in data[-200:]
    elif path.suffix == ".html":
        assert data.lstrip().lower().startswith(b"<!doctype html") and b"<svg" in data


def test_every_demo_is_listed():
    demos = {p.name for p in (ROOT / "demos").glob("*.py") if not p.name.startswith("_")}
    assert demos - {"tour.py"} <= set(EXPECTED), sorted(demos - set(EXPECTED))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_demo_quick_run(name, tmp_path):
    output = run_demo(name, tmp_path)
    assert output.strip()
    for item in EXPECTED[name]:
        check_file(tmp_path / item.rstrip("/"))


def test_single_neuron_numbers(tmp_path):
    output = run_demo("single_neuron.py", tmp_path)
    assert "z = w . x + b = 0.88;  o = sigma(z) = 0.71" in output
    assert "dL/dw3 = -0.1215" in output


def test_backprop_agrees_with_central_differences(tmp_path):
    output = run_demo("backprop_vs_numeric.py", tmp_path)
    rows = [line.split() for line in output.splitlines()[1:] if line.strip()[:1].isdigit()]
    assert len(rows) == 4
    assert all(float(row[-1]) < 1e-6 for row in rows)
