"""``keras.utils``: to_categorical, normalize, set_random_seed, np_utils, Sequence, get_file, Progbar,
pad_sequences."""
from ...compat import LegacyNameError
from ...utils import normalize, set_random_seed, to_categorical
from . import data_utils, generic_utils, np_utils  # noqa: F401
from .generic_utils import CustomObjectScope, custom_object_scope, get_custom_objects  # noqa: F401
from .data_utils import Sequence, get_file  # noqa: F401
from .generic_utils import Progbar  # noqa: F401
from ...preprocessing.sequence import pad_sequences  # noqa: F401

__all__ = ["to_categorical", "normalize", "set_random_seed", "np_utils", "generic_utils", "data_utils", "Sequence",
           "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_file", "Progbar", "pad_sequences"]

_MISSING = {
    "plot_model": "lamina has no plot_model (it needs graphviz); print model.summary(), or use "
                  "lamina.inspect for figures of what the network learned",
    "multi_gpu_model": "multi_gpu_model (Keras 2) is not supported; train on one device, or use torch's "
                       "DistributedDataParallel with torchrun",
    "print_summary": "keras.utils.print_summary (Keras 2) is model.summary() in lamina",
}


def __getattr__(name):
    if name in _MISSING:
        raise LegacyNameError(f"keras.utils.{name}: {_MISSING[name]}.")
    raise AttributeError(f"module 'keras.utils' has no attribute {name!r}. It provides: {', '.join(__all__)}.")
