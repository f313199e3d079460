"""Tokenizer, text_to_word_sequence, one_hot and hashing_trick against Keras 3's legacy copies and by hand."""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from lamina.preprocessing.text import (Tokenizer, hashing_trick, one_hot, text_to_word_sequence,
                                       tokenizer_from_json)

os.environ.setdefault("KERAS_BACKEND", "torch")

WORDS = ["the", "cat", "Sat", "on", "mat", "dog", "A", "bird", "flew", "over", "HOUSE", "tree", "ran", "quick",
         "brown", "fox", "jumps", "lazy", "it's", "e-mail"]


@pytest.fixture(scope="module")
def kt():
    return pytest.importorskip("keras.src.legacy.preprocessing.text",
                               reason="keras (the parity extra) is not installed")


def random_texts(rng, n):
    texts = []
    for _ in range(n):
        words = rng.choice(WORDS, size=int(rng.integers(0, 12))).tolist()
        seps = rng.choice([" ", ", ", "! ", "  ", "\t", ".\n"], size=len(words)).tolist()
        texts.append("".join(w + s for w, s in zip(words, seps)))
    return texts


def vocabularies(t):
    return (dict(t.word_counts), list(t.word_counts), dict(t.word_docs), dict(t.index_docs), t.word_index,
            t.index_word, t.document_count)


@pytest.mark.parametrize("config", [{}, {"num_words": 6}, {"oov_token": "<unk>"},
                                    {"num_words": 5, "oov_token": "<unk>"}, {"lower": False},
                                    {"char_level": True, "num_words": 10}, {"filters": "", "split": ","},
                                    {"oov_token": "<oov>", "char_level": True}])
def test_tokenizer_equals_keras_on_random_texts(kt, config):
    rng = np.random.default_rng(len(str(config)))
    for _ in range(8):
        fit, other = random_texts(rng, 15), random_texts(rng, 6) + ["never seen words", ""]
        ours, theirs = Tokenizer(**config), kt.Tokenizer(**config)
        ours.fit_on_texts(fit)
        theirs.fit_on_texts(fit)
        ours.fit_on_texts(fit[:3])  # fitting again adds to the counts
        theirs.fit_on_texts(fit[:3])
        assert vocabularies(ours) == vocabularies(theirs)
        seqs = ours.texts_to_sequences(fit + other)
        assert seqs == theirs.texts_to_sequences(fit + other)
        assert ours.sequences_to_texts(seqs + [[0, 99, 1]]) == theirs.sequences_to_texts(seqs + [[0, 99, 1]])
        for mode in ("binary", "count", "tfidf", "freq"):
            np.testing.assert_allclose(ours.texts_to_matrix(other + fit, mode=mode),
                                       theirs.texts_to_matrix(other + fit, mode=mode), rtol=0, atol=0)
        assert ours.to_json() == theirs.to_json()


def test_fit_on_sequences_and_lists_of_tokens_equal_keras(kt):
    rng = np.random.default_rng(2)
    seqs = [rng.integers(0, 12, size=int(rng.integers(0, 9))).tolist() for _ in range(20)]
    ours, theirs = Tokenizer(num_words=12), kt.Tokenizer(num_words=12)
    ours.fit_on_sequences(seqs)
    theirs.fit_on_sequences(seqs)
    for mode in ("binary", "count", "tfidf", "freq"):
        np.testing.assert_array_equal(ours.sequences_to_matrix(seqs, mode), theirs.sequences_to_matrix(seqs, mode))
    tokens = [["The", "cat"], ["the", "DOG", "the"]]
    ours, theirs = Tokenizer(), kt.Tokenizer()
    ours.fit_on_texts(tokens)
    theirs.fit_on_texts(tokens)
    assert ours.word_index == theirs.word_index == {"the": 1, "cat": 2, "dog": 3}


def test_json_round_trip_both_ways_with_keras(kt):
    texts = random_texts(np.random.default_rng(5), 20)
    ours = Tokenizer(num_words=8, oov_token="?")
    ours.fit_on_texts(texts)
    theirs = kt.tokenizer_from_json(ours.to_json())  # Keras reads lamina's file
    back = tokenizer_from_json(theirs.to_json())  # and lamina reads Keras's
    assert back.texts_to_sequences(texts) == ours.texts_to_sequences(texts) == theirs.texts_to_sequences(texts)
    np.testing.assert_array_equal(back.texts_to_matrix(texts, "tfidf"), ours.texts_to_matrix(texts, "tfidf"))
    back.fit_on_texts(["brand new words"])  # a loaded tokenizer keeps fitting
    assert back.word_counts["brand"] == 1 and back.word_docs["new"] == 1


def test_text_functions_equal_keras(kt):
    rng = np.random.default_rng(3)
    for text in random_texts(rng, 30):
        assert text_to_word_sequence(text) == kt.text_to_word_sequence(text)
        assert text_to_word_sequence(text, lower=False, filters="!") == kt.text_to_word_sequence(
            text, lower=False, filters="!")
        for n in (2, 7, 1000):
            assert hashing_trick(text, n, hash_function="md5") == kt.hashing_trick(text, n, hash_function="md5")
            assert one_hot(text, n) == kt.one_hot(text, n)  # same process, same hash()


def test_tokenizer_by_hand():
    t = Tokenizer(num_words=3, oov_token="<unk>")
    t.fit_on_texts(["The cat sat.", "the dog, the cat!"])
    assert t.word_index == {"<unk>": 1, "the": 2, "cat": 3, "sat": 4, "dog": 5}
    assert t.word_counts == {"the": 3, "cat": 2, "sat": 1, "dog": 1} and t.document_count == 2
    assert t.texts_to_sequences(["the cat ate"]) == [[2, 1, 1]]  # cat (3) >= num_words: the oov index
    m = Tokenizer()
    m.fit_on_texts(["a a b", "b c"])
    assert m.texts_to_matrix(["a a b"], "count").tolist() == [[0, 2, 1, 0]]
    assert m.texts_to_matrix(["a a b"], "freq").tolist() == [[0, 2 / 3, 1 / 3, 0]]
    tfidf = m.texts_to_matrix(["a a"], "tfidf")[0]
    assert tfidf[1] == pytest.approx((1 + np.log(2)) * np.log(1 + 2 / (1 + 1)))


def test_md5_hashing_is_stable_across_processes_and_python_hash_is_not():
    expected = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 99 + 1 for w in ("hello", "world")]
    assert hashing_trick("Hello, world!", 100, hash_function="md5") == expected
    code = ("from lamina.preprocessing.text import hashing_trick as h; "
            "print(h('alpha beta gamma delta', 10**6, 'md5'), h('alpha beta gamma delta', 10**6))")
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=os.pathsep.join(sys.path))
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                   check=True).stdout.split("] ["))
    assert outs[0][0] == outs[1][0]  # md5: same indices
    assert outs[0][1] != outs[1][1]  # hash(): another process, other indices


def test_errors_name_the_fix(monkeypatch):
    with pytest.raises(ValueError, match=r"mode to be one of 'binary', 'count', 'tfidf', 'freq'\. Received: "
                                         r"mode='cuont'; did you mean 'count'\?"):
        Tokenizer(num_words=5).sequences_to_matrix([[1]], mode="cuont")
    with pytest.raises(ValueError, match=r"needs a column count: pass num_words"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match=r"mode='tfidf' needs document counts"):
        Tokenizer(num_words=4).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['num_word'\].*did you mean 'num_words'"):
        Tokenizer(num_word=5)
    with pytest.raises(TypeError, match=r"expects a list of texts\. Received one str; wrap it"):
        Tokenizer().fit_on_texts("just one text")
    with pytest.raises(ValueError, match=r"n to be an int >= 2.*Received: n=1"):
        hashing_trick("a b", 1)
    with pytest.raises(ValueError, match=r"tokenizer_from_json expects the JSON string"):
        tokenizer_from_json('{"config": {}}')
    from lamina.compat import _state as compat_state
    monkeypatch.setattr(compat_state, "_WARNED", set())
    with pytest.warns(DeprecationWarning, match=r"Tokenizer\(nb_words=\.\.\.\) is Keras 1; it is num_words"):
        assert Tokenizer(nb_words=7).num_words == 7
