"""Every Python example in README.md runs and prints what the README says it prints."""

import doctest
import re
from pathlib import Path

import pytest

from autograd import list_ops, remove_op
from autograd.ops import list_builtin_ops

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def _remove_user_ops() -> None:
    for kind in ("scalar", "tensor"):
        builtin = set(map(id, list_builtin_ops(kind)))
        for op in list_ops(kind):
            if id(op) not in builtin:
                remove_op(op.name, kind)


@pytest.fixture(autouse=True)
def clean_op_table():
    """README examples define ops by name: give each block a table with only the built-ins."""
    _remove_user_ops()
    yield
    _remove_user_ops()


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{k}" for k in range(len(BLOCKS))])
def test_readme_block(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    if ">>>" in block:
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block, {}, "README", str(README), 0)
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        runner = doctest.DocTestRunner(optionflags=flags)
        runner.run(test)
        assert runner.failures == 0, f"README example failed:\n{block}"
    else:
        exec(compile(block, str(README), "exec"), {"__name__": "readme_example"})
