"""The comparison page, opened in headless Chromium as a user would see it."""
import shutil
import sys
from pathlib import Path

import pytest

from lamina.experiments import compare

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inspect"))
from inspect_browser import find_chromium, open_page  # noqa: E402


@pytest.mark.skipif(find_chromium() is None, reason="needs headless Chromium (make chromium installs it)")
def test_the_comparison_page_shows_table_curves_and_scatter(tmp_path):
    result = compare(["logreg", "mlp50"], seeds=[0, 1], quick=True, workers=1, out=tmp_path / "cmp", verbose=0,
                     title="two models")
    page = open_page(result.paths["html"], str(tmp_path / "chromium-profile"))
    assert page["title"] == "two models"
    assert [im["alt"] for im in page["images"]] == ["learning curves", "parameters against accuracy"]
    bad = [im for im in page["images"] if not im["complete"] or im["naturalWidth"] < 300]
    assert not bad, f"figures that did not load: {bad}"
    assert page["errors"] == []
    assert page["screenshot"][:8] == b"\x89PNG\r\n\x1a\n" and len(page["screenshot"]) > 30_000
    text = result.paths["html"].read_text()
    assert "<td>7,850</td>" in text and "<td>39,760</td>" in text and " ± " in text
    keep = __import__("os").environ.get("LAMINA_COMPARE_SCREENSHOT")
    if keep:   # e.g. LAMINA_COMPARE_SCREENSHOT=/tmp/compare.png to look at it
        (tmp_path / "page.png").write_bytes(page["screenshot"])
        shutil.copy(tmp_path / "page.png", keep)
