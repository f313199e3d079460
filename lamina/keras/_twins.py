"""The classic namespace's classes: lamina classes that also take Keras 1/2 arguments.

``keras.layers.Dense`` is a subclass of :class:`lamina.layers.Dense` (a "twin") that
adds nothing but a constructor hook translating Keras 1 arguments
(``Dense(output_dim=10, init='normal')``) and, for models, the Keras 1/2 training
forms. Because the behaviour hangs on these subclasses, importing ``lamina.keras``
changes nothing for code that builds ``lamina.layers.Dense`` directly.

A twin is interchangeable with its lamina class: it saves under the same class name,
and ``isinstance(lamina.layers.Dense(3), keras.layers.Dense)`` holds (a lamina layer is
a classic one that was built with modern arguments).
"""
from __future__ import annotations

from ..layers.base import Layer
from ._translate import _accepted, translate

__all__ = ["twin", "twin_all", "namespace_classes", "register_twin", "TwinMeta"]

_TWINS: dict[type, type] = {}


class TwinMeta(type):
    """Metaclass of the namespace twins: instances of the lamina class count as instances."""

    def __instancecheck__(cls, obj):
        base = cls.__dict__.get("_twin_of")
        if base is not None:
            return isinstance(obj, base)
        return super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub):
        base = cls.__dict__.get("_twin_of")
        if base is not None:
            return issubclass(sub, base)
        return super().__subclasscheck__(sub)

    def __call__(cls, *args, **kwargs):
        # Keras 1/2 ``Layer(weights=[...])``: initial weights, set right after the layer builds. Only
        # layers of the classic namespace take it (lamina.layers.Dense refuses it, as Keras 3 does);
        # a class whose own constructor names ``weights`` gets it as an ordinary argument.
        if "weights" not in kwargs or "weights" in _accepted(cls) or _is_model(cls):
            return super().__call__(*args, **kwargs)
        weights = kwargs.pop("weights")
        layer = super().__call__(*args, **kwargs)
        if weights is not None:
            layer._set_initial_weights(weights)
        return layer


def _is_model(cls) -> bool:
    from ..models.functional import Model
    return issubclass(cls, Model)


def twin(cls: type, extra_bases: tuple = (), module: str = "lamina.keras.layers") -> type:
    """The classic-namespace subclass of a lamina layer or model class (made once)."""
    made = _TWINS.get(cls)
    if made is not None:
        return made
    made = TwinMeta(cls.__name__, extra_bases + (cls,), {
        "__module__": module,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
        "_twin_of": cls,
        "_keras_namespace": True,
        "_argument_translator": staticmethod(translate),
    })
    _TWINS[cls] = made
    return made


def register_twin(classic: type) -> type:
    """Make ``classic`` (a hand-written twin with ``_twin_of`` set, e.g. the Keras 2.2.4 LSTM with
    its own defaults) the classic-namespace class of its lamina class."""
    _TWINS[classic.__dict__["_twin_of"]] = classic
    return classic


def twin_all(namespace: dict) -> dict:
    """``namespace`` with every lamina Layer class replaced by its twin (functions kept)."""
    return {name: twin(value) if isinstance(value, type) and issubclass(value, Layer) else value
            for name, value in namespace.items()}


def namespace_classes() -> dict:
    """{class name: twin} for every twin made so far, plus 'Functional' -> the classic Model;
    what ``keras.models.load_model`` builds from."""
    classes = {cls.__name__: made for cls, made in _TWINS.items()}
    if "Model" in classes:
        classes["Functional"] = classes["Model"]
    return classes
