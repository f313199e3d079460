"""``keras.models``: Sequential, Model, load_model, save_model, model_from_json.

``Sequential`` and ``Model`` here are lamina's models (``isinstance`` holds both ways)
with the Keras 1/2 training forms: ``nb_epoch``, ``fit_generator``, ``evaluate_generator``,
``predict_generator``, ``predict_classes``, ``predict_proba``, Keras 2 default learning rates
for optimizer names, and 'acc'/'val_acc' logged for ``metrics=['accuracy']``.
"""
from .. import models as _models
from .. import saving as _saving
from ..compat import LegacyNameError
from ._training import LegacyTrainingMixin
from ._twins import namespace_classes, twin
from .layers import __all__ as _layer_names  # noqa: F401 - makes every layer twin, for load_model

__all__ = ["Sequential", "Model", "load_model", "save_model", "model_from_json"]

Model = twin(_models.Model, (LegacyTrainingMixin,), module=__name__)
Sequential = twin(_models.Sequential, (LegacyTrainingMixin,), module=__name__)
save_model = _saving.save_model


def _with_namespace(custom_objects):
    classes = namespace_classes()
    classes.update(custom_objects or {})
    return classes


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by lamina or Keras (``.lamina``, ``.h5``, ``.keras``), built from this
    namespace's classes (so ``predict_classes`` and the other Keras 2 forms work on it)."""
    return _saving.load_model(filepath, custom_objects=_with_namespace(custom_objects), compile=compile,
                              safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """A model from ``model.to_json()`` (lamina or Keras 2), built from this namespace's classes."""
    return _saving.model_from_json(json_string, custom_objects=_with_namespace(custom_objects))


def model_from_yaml(*args, **kwargs):
    """Keras 1/2 YAML architectures: not supported (Keras 2.6 removed them too)."""
    raise NotImplementedError("model_from_yaml (Keras 1/2) is not supported; YAML architectures were removed in "
                              "Keras 2.6. Save the architecture with model.to_json() and load it with "
                              "keras.models.model_from_json(json_string).")


def __getattr__(name):
    if name == "clone_model":
        raise LegacyNameError("keras.models.clone_model is not in lamina yet. Rebuild the model with "
                              "model_from_json(model.to_json()), then new.set_weights(model.get_weights()) if you "
                              "want the weights too.")
    raise AttributeError(f"module 'keras.models' has no attribute {name!r}. It provides: {', '.join(__all__)}.")
