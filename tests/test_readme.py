"""The README's examples run as written (docs that match the code)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2, "the README lost its examples"
    namespace = {}
    for block in blocks:  # in order: later examples use earlier ones' names
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["err"] == 0 and namespace["ok"] is True
