"""`python -m lamina.compat` and `lamina compat`: unchanged scripts and notebooks whose imports say `keras`."""
import base64
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from compat_helpers import ROOT, run_compat, write_notebook


def _script(tmp_path, code, name="script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def test_keras_imports_resolve_to_lamina_even_with_keras_installed(tmp_path):
    path = _script(tmp_path, """
        import sys, json
        import keras
        import keras.backend as K
        from keras.utils import np_utils
        from keras.layers import Dense
        from keras.layers.core import Activation
        from keras.layers.convolutional import Convolution2D
        from keras.datasets import mnist
        import keras.datasets.mnist_sample
        from keras.preprocessing.image import ImageDataGenerator
        from keras.applications.vgg16 import VGG16, preprocess_input
        from keras import optimizers, regularizers
        import tensorflow as tf
        from tensorflow import keras as tfk
        tf.set_random_seed(1); tf.random.set_seed(2)
        print(json.dumps({"keras": keras.__name__, "K": K.__name__, "np_utils": np_utils.__name__,
                          "Dense": Dense.__module__, "mnist": mnist.__name__, "argv": sys.argv[1:],
                          "tfk": tfk.__name__, "same": keras.layers.Dense is Dense}))
        """)
    proc = run_compat(path, "one", "--two")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"keras": "lamina.keras", "K": "lamina.keras.backend", "np_utils": "lamina.keras.utils.np_utils",
                   "Dense": "lamina.keras.layers", "mnist": "lamina.datasets.mnist", "argv": ["one", "--two"],
                   "tfk": "lamina.keras", "same": True}


def test_tensorflow_beyond_the_shim_says_so(tmp_path):
    path = _script(tmp_path, """
        import tensorflow as tf
        sess = tf.Session()
        """)
    proc = run_compat(path)
    assert proc.returncode == 1
    assert "TensorFlowNotAvailable: tensorflow.Session: under lamina, 'tensorflow' is a stand-in" in proc.stderr


def test_missing_keras_module_names_what_exists(tmp_path):
    proc = run_compat(_script(tmp_path, "import keras.wrappers.scikit_learn\n"))
    assert proc.returncode == 1
    assert "No module named 'keras.wrappers'" in proc.stderr and "lamina.keras provides" in proc.stderr


def test_legacy_forms_warn_once_and_quiet_silences_them(tmp_path):
    code = """
        from keras.models import Sequential
        from keras.layers import Dense
        for _ in range(3):
            Dense(output_dim=2, input_dim=3)
        """
    path = _script(tmp_path, code)
    loud = run_compat(path)
    assert loud.returncode == 0 and loud.stderr.count("Dense(output_dim=...) is the Keras 1 form; use units=") == 1
    for quiet in (run_compat(path, env={"LAMINA_QUIET_LEGACY": "1"}), run_compat("--quiet", path)):
        assert quiet.returncode == 0 and "DeprecationWarning" not in quiet.stderr


def test_notebook_cells_run_in_order_skipping_magics_and_shell_lines(tmp_path):
    cells = [
        "%matplotlib inline\n%env KERAS_BACKEND=tensorflow\n!pip install keras\nimport os\nimport keras",
        "%%time\nfrom keras.models import Sequential\nfrom keras.layers import Dense\n"
        "model = Sequential()\nmodel.add(Dense(units=10, input_dim=784, activation='softmax'))",
        "%%writefile helper.py\nVALUE = 41\n",
        "import helper\nfiles = !ls\nimport matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\n"
        "if True:\n    %time x = 1\n    y = helper.VALUE + 1",
        "import json\njson.dump({'params': model.count_params(), 'y': y, 'env': os.environ['KERAS_BACKEND'],\n"
        "           'backend': plt.get_backend().lower()}, open('out.json', 'w'))",
    ]
    nb = write_notebook(tmp_path / "course.ipynb", cells)
    proc = run_compat(nb, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert out == {"params": 7850, "y": 42, "env": "tensorflow", "backend": "module://lamina.compat._figures"}


def test_a_failing_cell_is_named_with_its_code(tmp_path):
    cells = ["import keras\nfrom keras.layers import Dense", "a = 1\nmodel = keras.models.Sequential()\n"
             "model.fit(None, None)"]
    nb = write_notebook(tmp_path / "bad.ipynb", cells, execution_counts=[3, 7])
    proc = run_compat(nb, cwd=tmp_path)
    assert proc.returncode == 1
    assert "code cell 2 (In [7]) failed: RuntimeError: You must compile the model before calling fit()" \
        in proc.stderr
    assert "model.fit(None, None)" in proc.stderr and '<cell 2>", line 3' in proc.stderr


def test_cli_subcommand_runs_scripts(tmp_path):
    path = _script(tmp_path, "import sys, keras\nprint(keras.__name__, sys.argv[1:])\n")
    proc = run_compat(path, "x", cli=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "lamina.keras ['x']"


@pytest.mark.slow
def test_a_classic_2017_keras_script_runs_unchanged(tmp_path):
    """tests/compat/scripts/mnist_2017.py (an MLP and the mnist_cnn convnet, np_utils, nb_epoch, predict_classes,
    Convolution2D(32, 3, 3, border_mode='valid'), optimizer='adadelta', model.save('...h5')), on 3,000 digits of
    the bundled sample saved as the mnist.npz such scripts read."""
    import os
    import shutil

    from lamina.datasets import mnist_sample
    (x, y), (xt, yt) = mnist_sample.load_data()
    np.savez(tmp_path / "mnist.npz", x_train=x[:2000], y_train=y[:2000], x_test=xt[:1000], y_test=yt[:1000])
    script = shutil.copy(os.path.join(os.path.dirname(__file__), "scripts", "mnist_2017.py"), tmp_path)
    proc = run_compat(script, "mnist.npz", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line and line[:3] in ("MLP", "CNN"))
    assert float(lines["MLP test accuracy"]) > 0.85
    assert float(lines["MLP predict_classes accuracy"]) == pytest.approx(float(lines["MLP test accuracy"]), abs=1e-6)
    assert float(lines["CNN test accuracy"]) > 0.8
    assert int(lines["CNN params"]) == 600810  # the mnist_cnn.py convnet of Keras's examples
    assert (tmp_path / "mnist_cnn.h5").is_file()
    for form in ("nb_epoch", "predict_classes", "Conv2D(32, 3, 3)", "border_mode", "RMSprop(lr=...)"):
        assert form in proc.stderr  # each legacy form warned (once)


def test_the_executed_notebook_keeps_outputs_errors_and_figures(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    cells = ["import keras\nimport numpy as np\nprint('hello')",
             "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]); plt.show()\nplt.figure(); plt.plot([3, 1])",
             "np.arange(3)",
             "display(np.ones(2))\n1 / 0",
             "print('never')"]
    nb = write_notebook(tmp_path / "course.ipynb", cells)
    proc = run_compat(nb, cwd=tmp_path, cli=True)
    assert proc.returncode == 1
    written = tmp_path / "course.executed.ipynb"
    assert f"wrote the notebook with its outputs up to the failing cell to {written}" in proc.stderr
    out = nbformat.read(written, as_version=4)
    nbformat.validate(out)
    code = [c for c in out.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3, 4, None]
    assert code[0].outputs == [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]
    figures = [o for o in code[1].outputs if o.output_type == "display_data"]
    assert len(figures) == 2 and all(base64.b64decode(o.data["image/png"])[:4] == b"\x89PNG" for o in figures)
    assert code[2].outputs[0].output_type == "execute_result" and code[2].outputs[0].data["text/plain"] == \
        "array([0, 1, 2])"
    assert code[3].outputs[0].data["text/plain"] == "array([1., 1.])"
    error = code[3].outputs[1]
    assert error.output_type == "error" and error.ename == "ZeroDivisionError" and "1 / 0" in "\n".join(
        error.traceback)
    assert code[4].outputs == []
    assert json.loads(nb.read_text())["cells"][1]["outputs"] == []     # the input notebook is untouched


def test_output_names_the_executed_notebook_and_a_script_keeps_its_figures(tmp_path):
    pytest.importorskip("nbformat")
    nb = write_notebook(tmp_path / "n.ipynb", ["print(6 * 7)"])
    proc = run_compat("--output", tmp_path / "out" / "run.ipynb", nb, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "".join(json.loads((tmp_path / "out" / "run.ipynb").read_text())["cells"][1]["outputs"][0]["text"]) == "42\n"
    script = _script(tmp_path, """
        import matplotlib.pyplot as plt
        plt.plot([1, 2]); plt.show()
        plt.figure(); plt.imshow([[0, 1], [1, 0]]); plt.show()
        print("done")
    """, name="plots.py")
    proc = run_compat(script, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done" and f"saved 2 figures in {tmp_path / 'plots_figures'}/" in proc.stderr
    for i in (1, 2):
        assert (tmp_path / "plots_figures" / f"figure_{i}.png").read_bytes()[:4] == b"\x89PNG"


def test_run_script_saves_figures_without_printing(tmp_path):
    """The library call is silent (only the command says where the figures went)."""
    script = _script(tmp_path, """
        import matplotlib.pyplot as plt
        plt.plot([1, 2]); plt.show()
    """, name="one_plot.py")
    code = (f"import lamina.compat; lamina.compat.run_script({str(script)!r}, "
            f"figures={str(tmp_path / 'figs')!r})")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "saved" not in proc.stderr
    assert (tmp_path / "figs" / "figure_1.png").read_bytes()[:4] == b"\x89PNG"
