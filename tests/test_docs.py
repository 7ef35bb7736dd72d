"""Every Python example in README.md and docs/*.md runs and prints what the page says it prints."""

import doctest
import re
from pathlib import Path

import pytest

from autograd import list_ops, remove_op
from autograd.ops import list_builtin_ops

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [(page, block) for page in PAGES
          for block in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"),
                                  flags=re.S)]


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


def test_the_readme_is_a_front_page():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


@pytest.mark.parametrize("page, block", BLOCKS,
                         ids=[f"{page.stem}-{k}" for k, (page, _) in enumerate(BLOCKS)])
def test_example_block(page, block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    if ">>>" in block:
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block, {}, page.name, str(page), 0)
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        runner = doctest.DocTestRunner(optionflags=flags)
        runner.run(test)
        assert runner.failures == 0, f"{page.name} example failed:\n{block}"
    else:
        exec(compile(block, str(page), "exec"), {"__name__": "docs_example"})
