import pytest

from folkrnn.corpus import prepare as corpus


@pytest.fixture(scope="session")
def built_corpus():
    """The default corpus, built once per test session (about half a minute)."""
    return corpus.build()


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory):
    """One corpus cache for the session, in place of the user's."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _no_user_cache(cache_root, monkeypatch):
    """No test reads or fills the user's own cache (~/.cache/folkrnn)."""
    monkeypatch.setenv("FOLKRNN_CACHE", str(cache_root))
