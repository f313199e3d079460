"""Every applications test runs with an empty weights cache and never reaches the network."""
import pytest


@pytest.fixture(autouse=True)
def _empty_offline_cache(tmp_path, monkeypatch):
    """No test reads the user's cache or reaches the network."""
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "lamina_home"))
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
