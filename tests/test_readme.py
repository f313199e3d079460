"""The README's quickstart must run as written (with fewer epochs)."""
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
def _quickstart() -> str:
    text = README.read_text()
    section = text[text.index("## Quickstart"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_starts_with_the_two_setup_commands():
    first_block = re.search(r"```sh\n(.*?)```", README.read_text(), re.S).group(1)
    assert [line.split("#")[0].strip() for line in first_block.splitlines()] == ["make demo", "make test"]


def test_readme_credits_the_bundled_data():
    text = README.read_text()
    for credit in ("LeCun", "Cortes", "Burges", "CC BY-SA 3.0", "`mnist` 1.1.0", "Juan Cazala"):
        assert credit in text


@pytest.mark.slow
def test_quickstart_runs_and_learns(tmp_path, monkeypatch):
    code = _quickstart()
    assert "epochs=100" in code
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code.replace("epochs=100", "epochs=1"), str(README), "exec"), scope)
    model, same = scope["model"], scope["same"]
    assert model.count_params() == 286_940
    assert scope["accuracy"] > 0.8  # a plain torch loop reaches about 0.92 after one epoch
    x = scope["x_test"][:200]
    np.testing.assert_array_equal(same.predict(x), model.predict(x))
