"""Helpers the preprocessing tests import by name (a conftest.py is not importable unambiguously: with
several conftest.py files under tests/ and pytest-xdist, `from conftest import ...` may find another one)."""
import os

import numpy as np
from PIL import Image


def write_folder(root, images, labels, names=None, mode=None):
    """images[i] -> root/<names[label]>/<i>.png; returns root."""
    for i, (img, lab) in enumerate(zip(images, labels)):
        folder = os.path.join(root, names[lab] if names else str(lab))
        os.makedirs(folder, exist_ok=True)
        pic = Image.fromarray(np.asarray(img))
        if mode:
            pic = pic.convert(mode)
        pic.save(os.path.join(folder, f"{i:05d}.png"))
    return str(root)
