"""The examples under examples/python/ run and say what they should."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def run(name, *args):
    out = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                         timeout=300, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_readme_python_example_runs(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    block = block.replace("/tmp/hvdb-readme-py", str(tmp_path / "db"))
    script = tmp_path / "readme.py"
    script.write_text(block)
    for _ in range(2):  # twice: it runs again on its own database
        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[0].startswith("[0 1 2 3 4] [0 0 0 0 0]")
        assert "(256,) uint8" in out.stdout


def test_the_first_session_of_docs_python_md_prints_what_it_says(tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "python.md").read_text()
    block = re.search(r"## A first session\n\n```python\n(.*?)```", doc, re.S).group(1)
    printed = re.search(r"# (\[.*?\]) \[ *(\d+) +(\d+)\]", block).groups()  # the comment saying the output
    script = tmp_path / "first.py"
    script.write_text(block.replace("/tmp/fruit", str(tmp_path / "fruit")))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{printed[0]} [  {printed[1]} {printed[2]}]"), out.stdout


def test_binary_embeddings_rescoring_recovers_the_float_neighbours():
    out = run("binary_embeddings.py", "--rows", "5000", "--queries", "50")
    hamming = float(re.search(r"Hamming only: ([0-9.]+)", out).group(1))
    rescored = float(re.search(r"rescored in float: ([0-9.]+)", out).group(1))
    assert rescored >= 0.9 and rescored > hamming, out


def test_torchhd_style_workflow_finds_the_peso():
    out = run("torchhd_style.py")
    assert "dollar of Mexico: peso" in out and "bool (10048,)" in out


def test_torchhd_style_workflow_with_torchhd():
    pytest.importorskip("torchhd", reason="torchhd is not installed (it needs torch); numpy stands in above")
    assert "equals torchhd.bind" in run("torchhd_style.py")
