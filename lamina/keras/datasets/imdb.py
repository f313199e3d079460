"""``keras.datasets.imdb``: lamina.datasets.imdb, also accepting Keras 1's ``nb_words``."""
from ...compat import warn_legacy
from ...datasets import imdb as _imdb
from ...datasets.imdb import get_word_index

__all__ = ["load_data", "get_word_index"]


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """``lamina.datasets.imdb.load_data`` (Keras 3 semantics); Keras 1's ``nb_words=`` means ``num_words=``.

    Keras 2.2.4 filtered ``maxlen`` over train and test together and then split at the old
    training size, which moved test reviews into training; lamina filters each split on
    its own, as Keras 3 does.
    """
    num_words = _nb_words(kwargs, num_words, "imdb")
    return _imdb.load_data(path, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)


def _nb_words(kwargs, num_words, name):
    if "nb_words" in kwargs:
        warn_legacy(f"{name}.load_data.nb_words", f"{name}.load_data(nb_words=...) is Keras 1; it is "
                                                   f"num_words=... now.")
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"{name}.load_data got unexpected keyword arguments {sorted(kwargs)}. Valid: path, "
                        f"num_words (nb_words), skip_top, maxlen, seed, start_char, oov_char, index_from"
                        f"{', test_split' if name == 'reuters' else ''}.")
    return num_words
