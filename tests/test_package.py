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
