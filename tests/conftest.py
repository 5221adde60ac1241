import pytest

from folkrnn import corpus


@pytest.fixture(scope="session")
def built_corpus():
    """The default corpus, built once per test session (about half a minute)."""
    return corpus.build()
