"""pad_sequences: every padding/truncating/value/dtype/maxlen option, against Keras 3's own and by hand."""
import os

import numpy as np
import pytest

from lamina.preprocessing.sequence import pad_sequences

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras_pad():
    return pytest.importorskip("keras.src.utils.sequence_utils",
                               reason="keras (the parity extra) is not installed").pad_sequences


def random_sequences(rng, n, max_len, item_shape=()):
    return [rng.integers(-50, 1000, size=(int(rng.integers(0, max_len + 1)),) + item_shape).tolist()
            for _ in range(n)]


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_matches_keras_on_random_ragged_lists(keras_pad, padding, truncating):
    rng = np.random.default_rng(7)
    for trial in range(40):
        seqs = random_sequences(rng, int(rng.integers(1, 12)), 9)
        if not any(seqs):
            seqs.append([1])
        maxlen = [None, 1, 3, 5, 12][trial % 5]
        value = [0.0, -1, 7.5, 3][trial % 4]
        dtype = ["int32", "float32", "int64", "float64"][trial % 4]
        ours = pad_sequences(seqs, maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value)
        theirs = keras_pad(seqs, maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_matches_keras_on_arrays_of_vectors_and_numpy_input(keras_pad):
    rng = np.random.default_rng(1)
    for _ in range(10):
        seqs = [rng.random((int(rng.integers(0, 6)), 3)) for _ in range(5)] + [rng.random((2, 3))]
        for kw in ({}, {"maxlen": 3, "padding": "post", "dtype": "float32"}, {"truncating": "post", "maxlen": 2}):
            np.testing.assert_array_equal(pad_sequences(seqs, **kw), keras_pad(seqs, **kw))


def test_string_sequences_with_object_and_str_dtypes_match_keras(keras_pad):
    seqs = [["the", "cat"], ["a"], [], ["one", "two", "three"]]
    for kw in ({"dtype": object, "value": "<pad>"}, {"dtype": object, "value": "", "padding": "post", "maxlen": 2},
               {"dtype": str, "value": "_"}, {"dtype": "U5", "value": "pad", "truncating": "post", "maxlen": 2}):
        ours, theirs = pad_sequences(seqs, **kw), keras_pad(seqs, **kw)
        assert ours.dtype == theirs.dtype
        assert ours.tolist() == theirs.tolist()


def test_examples_by_hand():
    seqs = [[1], [2, 3], [4, 5, 6]]
    assert pad_sequences(seqs).tolist() == [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
    assert pad_sequences(seqs, padding="post", value=-1).tolist() == [[1, -1, -1], [2, 3, -1], [4, 5, 6]]
    assert pad_sequences(seqs, maxlen=2).tolist() == [[0, 1], [2, 3], [5, 6]]
    assert pad_sequences(seqs, maxlen=2, truncating="post").tolist() == [[0, 1], [2, 3], [4, 5]]
    assert pad_sequences(seqs).dtype == np.int32
    assert pad_sequences([[], []], maxlen=3).tolist() == [[0, 0, 0], [0, 0, 0]]
    assert pad_sequences([], maxlen=4).shape == (0, 4)
    assert pad_sequences(seqs, maxlen=0).shape == (3, 0)
    assert pad_sequences([[1.7, 2.2]], dtype="float32", maxlen=3).tolist() == [[0.0, pytest.approx(1.7),
                                                                              pytest.approx(2.2)]]


@pytest.mark.parametrize("arg", ["padding", "truncating"])
def test_bad_side_says_pre_or_post(arg):
    with pytest.raises(ValueError, match=rf"expects {arg} to be 'pre' or 'post'\. Received: {arg}='psot'; did "
                                         r"you mean 'post'\?"):
        pad_sequences([[1, 2]], **{arg: "psot"})
    with pytest.raises(ValueError, match=rf"Received: {arg}='middle'"):  # raised even when nothing needs padding
        pad_sequences([[]], maxlen=2, **{arg: "middle"})


def test_bad_inputs_say_what_and_where():
    with pytest.raises(ValueError, match=r"non-iterable at position 1: 5\. Wrap single values in a list"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match=r"Received a int without a length"):
        pad_sequences(3)
    with pytest.raises(ValueError, match=r"str value='x' in dtype='int32'\. Pass dtype=object"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match=r"shape of the first non-empty sequence's items, \(2,\)\. Received items "
                                         r"of shape \(3,\) in the sequence at position 1"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])
    with pytest.raises(ValueError, match=r"no sequences and no maxlen.*Pass maxlen"):
        pad_sequences([])
    with pytest.raises(ValueError, match=r"maxlen to be None or a non-negative int\. Received: maxlen=-2"):
        pad_sequences([[1]], maxlen=-2)
