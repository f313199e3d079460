"""Classic text/sequence code through `python -m lamina.compat`: its `keras` imports reach lamina's modules."""
import json
import textwrap

from compat_helpers import run_compat


def test_classic_text_and_sequence_imports_run_unchanged(tmp_path):
    path = tmp_path / "imdb_style.py"
    path.write_text(textwrap.dedent("""
        import json
        from keras.preprocessing import sequence
        from keras.preprocessing.text import Tokenizer, one_hot, text_to_word_sequence
        from keras.preprocessing.sequence import pad_sequences, TimeseriesGenerator
        from keras.datasets import imdb, reuters
        from keras.utils import Sequence, Progbar, get_file, pad_sequences as utils_pad
        from keras.utils.data_utils import get_file as data_get_file
        from keras.utils.generic_utils import Progbar as GenericProgbar

        tok = Tokenizer(nb_words=5)
        tok.fit_on_texts(["the cat sat", "the dog"])
        x = sequence.pad_sequences(tok.texts_to_sequences(["the cat", "dog"]), maxlen=3)
        gen = TimeseriesGenerator(list(range(10)), list(range(10)), length=2, batch_size=4)
        print(json.dumps({"x": x.tolist(), "imdb": imdb.__name__, "reuters": reuters.__name__,
                          "sequence": isinstance(gen, Sequence), "batches": len(gen),
                          "same": [utils_pad is pad_sequences, data_get_file is get_file,
                                   GenericProgbar is Progbar]}))
        """))
    proc = run_compat(path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["x"] == [[0, 1, 2], [0, 0, 4]]  # the:1 cat:2 sat:3 dog:4 (ties keep first appearance)
    assert out["imdb"] == "lamina.keras.datasets.imdb" and out["reuters"] == "lamina.keras.datasets.reuters"
    assert out["sequence"] is True and out["batches"] == 2 and out["same"] == [True, True, True]
