"""What the seed handouts use but do not show, supplied to their notebooks by the acceptance tests.

The handouts' code fragments run as written; around them the tests put cells that
import this module for: the data (the bundled mnist-sample instead of the course's
files, a small synthetic cats-and-dogs image folder), the course's helper functions
(``read_img``, ``plot_history``, ``show_imgs``, ``convertToOneHot``), tiny stand-ins for
the three scikit-learn calls of the CS4487 notebook (scikit-learn is not a lamina
dependency), a training-time cap (CI has two CPU cores; the handouts train for up to
100 epochs on 60,000 images), and ``record``/``dump`` to hand numbers back to the test.
"""
import json
import os
import types

import numpy as np

RESULTS = {}


def record(key, value):
    if isinstance(value, np.generic):
        value = value.item()
    RESULTS[key] = value


def dump(path="results.json"):
    with open(path, "w") as f:
        json.dump(RESULTS, f, default=lambda o: np.asarray(o).tolist())


# ---------------------------------------------------------------------------- training-time cap
_CAP = {"epochs": None, "steps": None}


def cap_training(epochs=None, steps=None):
    """Cap every fit (fit, fit_generator, nb_epoch=...) at ``epochs`` epochs of at most ``steps`` batches.
    ``cap_training()`` removes the cap."""
    import lamina.training.engine as engine
    _CAP.update(epochs=epochs, steps=steps)
    if getattr(engine.TrainingMixin.fit, "_capped", False):
        return
    original = engine.TrainingMixin.fit

    def fit(self, x=None, y=None, *args, **kwargs):
        if _CAP["epochs"] is not None:
            for key in ("epochs", "nb_epoch"):
                if key in kwargs:
                    kwargs[key] = min(kwargs[key], _CAP["epochs"])
            if "epochs" not in kwargs and "nb_epoch" not in kwargs and len(args) < 2:
                kwargs["epochs"] = min(1, _CAP["epochs"])
        if _CAP["steps"] is not None:
            n = _CAP["steps"]
            if hasattr(x, "shape"):  # arrays: at most n batches, never more than one pass
                n = min(n, -(-len(x) // (kwargs.get("batch_size") or 32)))
            elif hasattr(x, "__len__"):
                n = min(n, len(x))
            kwargs["steps_per_epoch"] = min(kwargs.get("steps_per_epoch") or n, n)
            if kwargs.get("validation_data") is not None and not isinstance(kwargs["validation_data"], tuple):
                kwargs["validation_steps"] = min(kwargs.get("validation_steps") or n, n)
        return original(self, x, y, *args, **kwargs)

    fit._capped = True
    engine.TrainingMixin.fit = fit


# ---------------------------------------------------------------------------- data
def _sample():
    from lamina.datasets import mnist_sample
    return mnist_sample.load_data()


def read_img(path):
    """CS4487's reader of the IDX image files, on the bundled sample: the 6,000 training digits each repeated
    10 times (the handout keeps every 10th image of 60,000, so it keeps exactly the sample) and the 4,000 test
    digits cycled to the 10,000 the handout's reshape expects."""
    (x, _), (xt, _) = _sample()
    imgs = np.repeat(x, 10, axis=0) if "train" in path else np.resize(xt, (10000, 28, 28))
    return len(imgs), 28, 28, imgs


def read_label(path):
    (_, y), (_, yt) = _sample()
    labels = np.repeat(y, 10) if "train" in path else np.resize(yt, 10000)
    return len(labels), labels


class _MnistSubset:
    """``mnist.load_data()`` on the first ``n``/``nt`` digits of the bundled sample."""

    def __init__(self, n, nt):
        self.n, self.nt = n, nt

    def load_data(self):
        (x, y), (xt, yt) = _sample()
        return (x[:self.n], y[:self.n]), (xt[:self.nt], yt[:self.nt])


def mnist_subset(n=6000, nt=4000):
    return _MnistSubset(n, nt)


def convertToOneHot(vector, num_classes=None):
    vector = np.asarray(vector, dtype=int)
    num_classes = num_classes or vector.max() + 1
    out = np.zeros((len(vector), num_classes), dtype="float32")
    out[np.arange(len(vector)), vector] = 1
    return out


def make_cats_dogs(root, per_class=(12, 6, 6), size=(160, 170)):
    """train/validation/test folders of small JPEG 'cats' (warm blobs) and 'dogs' (cool stripes)."""
    from PIL import Image
    rng = np.random.default_rng(0)
    for split, n in zip(("train", "validation", "test"), per_class):
        for label in ("cats", "dogs"):
            folder = os.path.join(root, split, label)
            os.makedirs(folder, exist_ok=True)
            for i in range(n):
                img = rng.integers(0, 60, size + (3,), dtype=np.uint8)
                if label == "cats":
                    r, c = rng.integers(30, 120, 2)
                    img[r:r + 40, c:c + 40] = (220, 120, 40)
                else:
                    img[::8] = (40, 90, 220)
                Image.fromarray(img).save(os.path.join(folder, f"{label[:-1]}.{i}.jpg"))
    return root


def make_elephant(path):
    from PIL import Image
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img = np.full((300, 400, 3), 120, np.uint8)
    img[100:250, 80:330] = (90, 90, 95)
    Image.fromarray(img).save(path)
    return path


# ---------------------------------------------------------------------------- scikit-learn stand-ins
class _StandardScaler:
    def __init__(self, with_mean=True, with_std=True):
        self.with_mean, self.with_std = with_mean, with_std

    def fit(self, x):
        self.mean_ = x.mean(axis=0) if self.with_mean else 0.0
        self.scale_ = x.std(axis=0) + (x.std(axis=0) == 0) if self.with_std else 1.0
        return self

    def transform(self, x):
        return (x - self.mean_) / self.scale_

    def fit_transform(self, x):
        return self.fit(x).transform(x)


def _train_test_split(*arrays, train_size=None, test_size=None, random_state=None):
    n = len(arrays[0])
    n_test = int(round(n * (test_size if test_size is not None else 1 - train_size)))
    perm = np.random.RandomState(random_state).permutation(n)
    test, train = perm[:n_test], perm[n_test:]
    out = []
    for a in arrays:
        out += [a[train], a[test]]
    return out


preprocessing = types.SimpleNamespace(StandardScaler=_StandardScaler)
model_selection = types.SimpleNamespace(train_test_split=_train_test_split)
metrics = types.SimpleNamespace(accuracy_score=lambda y, p: float(np.mean(np.asarray(y).ravel() ==
                                                                          np.asarray(p).ravel())))


# ---------------------------------------------------------------------------- course plotting helpers
def plot_history(history):
    """CS4487's curves, read with the Keras 2 keys ('acc', 'val_acc')."""
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3))
    a.plot(history.history["loss"], label="train"); a.plot(history.history["val_loss"], label="valid")
    b.plot(history.history["acc"], label="train"); b.plot(history.history["val_acc"], label="valid")
    a.legend(); b.legend()
    plt.close(fig)


def show_imgs(imgs, nc=10, titles=None, highlight_green=None, highlight_red=None):
    import matplotlib.pyplot as plt
    imgs = list(imgs)
    nr = int(np.ceil(len(imgs) / nc))
    fig = plt.figure()
    for i, img in enumerate(imgs):
        ax = fig.add_subplot(nr, nc, i + 1)
        ax.imshow(np.squeeze(img), cmap="gray")
        ax.axis("off")
        if isinstance(titles, str):
            ax.set_title(titles % i)
    plt.close(fig)
