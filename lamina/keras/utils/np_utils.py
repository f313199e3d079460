"""``keras.utils.np_utils`` (Keras 1/2): to_categorical and normalize."""
from ...compat import warn_legacy
from ...utils import normalize, to_categorical

__all__ = ["to_categorical", "normalize", "probas_to_classes"]


def probas_to_classes(y_pred):
    """Keras 1: class indices from predicted probabilities (argmax, or > 0.5 for one column)."""
    import numpy as np
    warn_legacy("np_utils.probas_to_classes", "np_utils.probas_to_classes is Keras 1; use "
                "np.argmax(y_pred, axis=-1) (or (y_pred > 0.5).astype('int32') for one sigmoid unit).")
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[-1] > 1:
        return y_pred.argmax(axis=-1)
    return (y_pred > 0.5).astype("int32").reshape(len(y_pred))
