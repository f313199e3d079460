"""Utilities with Keras's names: ``to_categorical``, ``normalize``, ``set_random_seed``, ``get_file``,
``Progbar``, ``pad_sequences``, ``timeseries_dataset_from_array``."""
from . import np_utils
from .np_utils import normalize, to_categorical
from .rng_utils import set_random_seed
from .data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from .file_utils import get_file
from .progbar import Progbar
from .timeseries_dataset_utils import timeseries_dataset_from_array
from ..preprocessing import image_dataset_from_directory
from ..preprocessing.sequence import pad_sequences

__all__ = ["to_categorical", "normalize", "set_random_seed", "np_utils", "image_dataset_from_directory",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "get_file", "Progbar", "pad_sequences",
           "timeseries_dataset_from_array"]
