"""``keras.models``: Sequential, Model, load_model, save_model, model_from_json."""
from ..compat._state import LegacyNameError
from ..models import Model, Sequential
from ..saving import load_model, model_from_json, save_model

__all__ = ["Sequential", "Model", "load_model", "save_model", "model_from_json"]


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
