import subprocess
import sys

import lamina


def test_every_public_name_resolves():
    for name in lamina.__all__:
        assert getattr(lamina, name) is not None, name


def test_import_lamina_does_not_load_torch():
    code = "import sys, lamina; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_attribute_is_an_attribute_error():
    try:
        lamina.Sequentail
    except AttributeError as err:
        assert "Sequentail" in str(err)
    else:
        raise AssertionError("expected AttributeError")


def test_test_modules_have_unique_basenames():
    """Test folders are not packages, so two test_x.py files anywhere would not both be collected."""
    from collections import Counter
    from pathlib import Path
    names = Counter(p.name for p in Path(__file__).parent.rglob("test_*.py"))
    assert [n for n, c in names.items() if c > 1] == []


def test_no_test_imports_a_conftest_by_name():
    """Several conftest.py files live under tests/: `from conftest import x` may get another folder's one
    (under pytest-xdist it depends on what a worker collected first). Shared helpers go in uniquely named
    modules (e.g. tests/preprocessing/image_folders.py)."""
    import re
    from pathlib import Path
    pattern = re.compile(r"^\s*(from\s+conftest\s+import|import\s+conftest\b)", re.M)
    offenders = [str(p) for p in Path(__file__).parent.rglob("*.py") if pattern.search(p.read_text("utf-8"))]
    assert offenders == []
