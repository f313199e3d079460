"""Utilities with Keras's names: ``to_categorical``, ``normalize``, ``set_random_seed``, ``get_file``,
``Progbar``, ``pad_sequences``, ``timeseries_dataset_from_array``."""
from . import np_utils
from .np_utils import normalize, to_categorical
from .rng_utils import set_random_seed
from .file_utils import get_file
from .progbar import Progbar
from .timeseries_dataset_utils import timeseries_dataset_from_array
from ..preprocessing._dataset import image_dataset_from_directory
from ..preprocessing.sequence import pad_sequences

__all__ = ["to_categorical", "normalize", "set_random_seed", "np_utils", "image_dataset_from_directory",
           "get_file", "Progbar", "pad_sequences", "timeseries_dataset_from_array"]
