"""``keras.datasets.reuters``: lamina.datasets.reuters, also accepting Keras 1's ``nb_words``."""
from ...datasets import reuters as _reuters
from ...datasets.reuters import get_label_names, get_word_index
from .imdb import _nb_words

__all__ = ["load_data", "get_word_index", "get_label_names"]


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3, **kwargs):
    """``lamina.datasets.reuters.load_data`` (Keras 3 semantics); Keras 1's ``nb_words=`` means ``num_words=``."""
    num_words = _nb_words(kwargs, num_words, "reuters")
    return _reuters.load_data(path, num_words, skip_top, maxlen, test_split, seed, start_char, oov_char, index_from)
