import pytest

from folkrnn.corpus import prepare as corpus


@pytest.fixture(scope="session")
def built_corpus():
    """The default corpus, built once per test session (about half a minute)."""
    return corpus.build()
