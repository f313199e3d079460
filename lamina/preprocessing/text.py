"""Text preprocessing with Keras's names and results: ``Tokenizer``, ``text_to_word_sequence``,
``one_hot``, ``hashing_trick`` and ``tokenizer_from_json``.

The word indices, counts and matrices equal Keras's own for the same texts (the
tests compare them with the installed Keras). Index 0 is never a word: it is
kept for padding.

About hashing: ``one_hot`` and ``hashing_trick`` with the default
``hash_function`` use Python's built-in ``hash``, which is randomised per
process for strings (``PYTHONHASHSEED``), so the same word gets another index
in the next run. Pass ``hash_function='md5'`` to ``hashing_trick`` for indices
that are stable across runs and machines.
"""
from __future__ import annotations

import collections
import hashlib
import json

import numpy as np

from .._errors import did_you_mean

__all__ = ["text_to_word_sequence", "one_hot", "hashing_trick", "Tokenizer", "tokenizer_from_json"]

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=FILTERS, lower=True, split=" "):
    """Split a text into words: lower-case it, turn every character of ``filters`` into ``split``, split.

    Args:
        input_text: the text.
        filters: characters to remove (default: punctuation, tabs and line breaks).
        lower: lower-case the text first (default True).
        split: the word separator (default ' ').

    Returns:
        The list of non-empty words.

    Example:
        >>> text_to_word_sequence("Hello, World! Hello...")
        ['hello', 'world', 'hello']
    """
    if not isinstance(input_text, str):
        raise TypeError(f"text_to_word_sequence expects a str. Received a {type(input_text).__name__}: "
                        f"{input_text!r:.80}. Convert it with str(...) or decode bytes first.")
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in input_text.split(split) if w]


def _md5(word: str) -> int:
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def hashing_trick(text, n, hash_function=None, filters=FILTERS, lower=True, split=" ", analyzer=None):
    """Words of ``text`` as indices in ``1 .. n - 1`` through a hash (collisions are possible).

    Args:
        text: the text.
        n: the size of the hashing space; indices are ``hash(word) % (n - 1) + 1``.
        hash_function: None (Python's ``hash``: different in every process for strings,
            see ``PYTHONHASHSEED``), ``'md5'`` (stable everywhere), or a callable
            ``str -> int``.
        filters, lower, split: as in :func:`text_to_word_sequence`.
        analyzer: optional callable ``text -> list of words`` used instead of splitting.

    Returns:
        A list of ints.

    Example:
        >>> hashing_trick("the cat sat on the mat", 10, hash_function="md5")
        [6, 3, 1, 1, 6, 8]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"hashing_trick expects n to be an int >= 2 (indices go from 1 to n - 1). Received: "
                         f"n={n!r}.")
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5
    elif not callable(hash_function):
        raise ValueError(f"hashing_trick expects hash_function to be None, 'md5' or a callable. Received: "
                         f"hash_function={hash_function!r}.")
    words = analyzer(text) if analyzer is not None else text_to_word_sequence(text, filters, lower, split)
    return [hash_function(w) % (n - 1) + 1 for w in words]


def one_hot(input_text, n, filters=FILTERS, lower=True, split=" ", analyzer=None):
    """``hashing_trick`` with Python's ``hash`` (Keras's name; the indices change between processes).

    Example:
        >>> len(one_hot("the cat sat", 50))
        3
    """
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


class Tokenizer:
    """Turns texts into sequences of word indices (1 = the most frequent word) or into matrices.

    Args:
        num_words: keep only words of index < ``num_words`` when converting (None: all).
            ``word_index`` always holds every word seen.
        filters, lower, split: as in :func:`text_to_word_sequence`.
        char_level: every character is a token.
        oov_token: a token that stands for unknown words; it gets index 1 and replaces
            out-of-vocabulary words in ``texts_to_sequences``.
        analyzer: optional callable ``text -> list of words``.
        document_count: start value of ``document_count`` (used by ``tokenizer_from_json``).

    Attributes:
        word_index: ``{word: index}``; index_word: ``{index: word}``; word_counts: ``{word: count}``
        in order of first appearance; word_docs: ``{word: number of texts holding it}``;
        index_docs: the same keyed by index; document_count: texts (or sequences) seen.

    Example:
        >>> t = Tokenizer(num_words=3, oov_token="<unk>")
        >>> t.fit_on_texts(["the cat", "the dog"])
        >>> t.word_index
        {'<unk>': 1, 'the': 2, 'cat': 3, 'dog': 4}
        >>> t.texts_to_sequences(["the bird"])
        [[2, 1]]
    """

    def __init__(self, num_words=None, filters=FILTERS, lower=True, split=" ", char_level=False, oov_token=None,
                 analyzer=None, **kwargs):
        if "nb_words" in kwargs:  # Keras 3's Tokenizer still takes Keras 1's name, with a warning
            from ..compat import warn_legacy  # the one warn-once, which honours lamina.compat.quiet()
            warn_legacy("Tokenizer.nb_words", "Tokenizer(nb_words=...) is Keras 1; it is num_words=... now.")
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            valid = ("num_words", "filters", "lower", "split", "char_level", "oov_token", "analyzer",
                     "document_count")
            name = next(iter(kwargs))
            raise TypeError(f"Tokenizer got unexpected keyword arguments {sorted(kwargs)}. Valid arguments: "
                            f"{', '.join(valid)}{did_you_mean(name, valid) or '.'}")
        if num_words is not None and (isinstance(num_words, bool) or not isinstance(num_words, (int, np.integer))
                                      or num_words < 0):
            raise ValueError(f"Tokenizer expects num_words to be None or a non-negative int. Received: "
                             f"num_words={num_words!r}.")
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts):
        """Count the words of ``texts`` (strings, or lists of tokens) and rebuild ``word_index``.

        Words are ranked by count, ties in order of first appearance; the ``oov_token``
        (if any) comes first. Calling it again adds to the counts.
        """
        if isinstance(texts, str):
            raise TypeError("Tokenizer.fit_on_texts expects a list of texts. Received one str; wrap it: "
                            "fit_on_texts([text]).")
        for text in texts:
            self.document_count += 1
            seq = self._tokens(text)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(seq):
                self.word_docs[w] += 1
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)  # stable: ties keep order
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [w for w, _ in ranked]
        self.word_index = {w: i for i, w in enumerate(vocabulary, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        """Count in how many sequences each index occurs (for ``mode='tfidf'`` on sequences)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (unknown words dropped, or ``oov_token``'s index)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Like :meth:`texts_to_sequences`, one list at a time."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.texts_to_sequences expects a list of texts. Received one str; wrap it: "
                            "texts_to_sequences([text]).")
        num_words = self.num_words
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            vect = []
            for w in self._tokens(text):
                i = self.word_index.get(w)
                if i is not None:
                    if num_words and i >= num_words:
                        if oov is not None:
                            vect.append(oov)
                    else:
                        vect.append(i)
                elif self.oov_token is not None:
                    vect.append(oov)
            yield vect

    def sequences_to_texts(self, sequences):
        """Each sequence of indices back as a text (words joined by spaces)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Like :meth:`sequences_to_texts`, one text at a time."""
        num_words = self.num_words
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for num in seq:
                word = self.index_word.get(num)
                if word is not None:
                    if num_words and num >= num_words:
                        if oov is not None:
                            words.append(self.index_word[oov])
                    else:
                        words.append(word)
                elif self.oov_token is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """``sequences_to_matrix(texts_to_sequences(texts), mode)``."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """One row per sequence, one column per word index (``num_words`` columns, or all words + 1).

        Args:
            sequences: lists of word indices; indices >= the column count are ignored.
            mode: 'binary' (1 if present), 'count', 'freq' (count / sequence length) or
                'tfidf' (``(1 + log count) * log(1 + documents / (1 + documents with the word))``).

        Returns:
            A float64 array of shape ``(len(sequences), columns)``.
        """
        if mode not in _MODES:
            hint = did_you_mean(str(mode), _MODES) or "."
            raise ValueError(f"Tokenizer expects mode to be one of {', '.join(map(repr, _MODES))}. Received: "
                             f"mode={mode!r}{hint}")
        if not self.num_words:
            if not self.word_index:
                raise ValueError("Tokenizer.sequences_to_matrix needs a column count: pass num_words=... to "
                                 "Tokenizer, or call fit_on_texts first.")
            num_words = len(self.word_index) + 1
        else:
            num_words = self.num_words
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer mode='tfidf' needs document counts: call fit_on_texts or "
                             "fit_on_sequences first.")
        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not len(seq):
                continue
            counts = collections.defaultdict(int)
            for j in seq:
                if j < num_words:
                    counts[j] += 1
            for j, c in counts.items():
                if mode == "count":
                    x[i][j] = c
                elif mode == "freq":
                    x[i][j] = c / len(seq)
                elif mode == "binary":
                    x[i][j] = 1
                else:
                    tf = 1 + np.log(c)
                    x[i][j] = tf * np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
        return x

    def get_config(self):
        """The tokenizer as a dict of JSON-able values (the vocabularies as JSON strings), as Keras writes it."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
                "char_level": self.char_level, "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        """A JSON string ``{"class_name": "Tokenizer", "config": ...}`` for :func:`tokenizer_from_json`.

        ``analyzer`` is a callable and is not saved; pass it again after loading.
        """
        return json.dumps({"class_name": self.__class__.__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """A :class:`Tokenizer` from the string ``Tokenizer.to_json()`` wrote (Keras's files load too).

    Example:
        >>> t = Tokenizer(); t.fit_on_texts(["a b b"])
        >>> tokenizer_from_json(t.to_json()).word_index
        {'b': 1, 'a': 2}
    """
    try:
        config = dict(json.loads(json_string)["config"])
        vocab = {key: json.loads(config.pop(key))
                 for key in ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"tokenizer_from_json expects the JSON string Tokenizer.to_json() writes, with a 'config' "
                         f"holding word_counts, word_docs, index_docs, index_word and word_index. It could not be "
                         f"read: {err!r}.") from None
    tokenizer = Tokenizer(**config)
    # The same containers fit_on_texts makes, so fitting more texts after loading works.
    tokenizer.word_counts = collections.OrderedDict(vocab["word_counts"])
    tokenizer.word_docs = collections.defaultdict(int, vocab["word_docs"])
    tokenizer.index_docs = collections.defaultdict(int, {int(k): v for k, v in vocab["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in vocab["index_word"].items()}
    tokenizer.word_index = vocab["word_index"]
    return tokenizer
