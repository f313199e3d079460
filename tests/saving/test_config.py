"""Model configs in Keras's JSON shape: Sequential, functional (several inputs/outputs,
shared layers, list/dict calls), nested models; to_json / model_from_json."""
import json

import pytest
import torch

from lamina.layers import Dense, Input, Layer
from lamina.models import Model, Sequential, model_from_json


class PairSum(Layer):
    """A list call: ``PairSum()([a, b]) == a + b``."""

    def call(self, inputs):
        return inputs[0] + inputs[1]

    def compute_output_shape(self, input_shape):
        return input_shape[0]


class DictScale(Layer):
    """A dict call: ``DictScale()({"x": x, "y": y}) == x * 2 + y``."""

    def call(self, inputs):
        return inputs["x"] * 2 + inputs["y"]

    def compute_output_shape(self, input_shape):
        return input_shape["x"]


def summary(model) -> str:
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def two_in_two_out():
    a = Input(shape=(6,), name="a")
    b = Input(shape=(6,), name="b")
    shared = Dense(5, activation="relu", name="shared")
    ha, hb = shared(a), shared(b)
    merged = PairSum(name="pair_sum")([ha, hb])
    mixed = DictScale(name="dict_scale")({"x": ha, "y": hb})
    out1 = Dense(3, activation="softmax", name="out1")(merged)
    out2 = Dense(1, name="out2")(mixed)
    return Model(inputs=[a, b], outputs=[out1, out2], name="two_heads")


def rebuild(model):
    return model_from_json(model.to_json())


def test_sequential_config_is_keras_shaped_with_batch_input_shape_on_first_layer():
    model = Sequential([Dense(50, activation="relu", input_dim=784), Dense(10, activation="softmax")])
    cfg = model.get_config()
    assert cfg["name"] == "sequential"
    assert [spec["class_name"] for spec in cfg["layers"]] == ["Dense", "Dense"]
    assert cfg["layers"][0]["config"]["batch_input_shape"] == [None, 784]
    assert "batch_input_shape" not in cfg["layers"][1]["config"]
    assert cfg["layers"][1]["config"]["units"] == 10 and cfg["layers"][1]["config"]["activation"] == "softmax"
    json.dumps(cfg)


def test_sequential_started_with_input_carries_its_shape():
    model = Sequential([Input(shape=(12,)), Dense(4)])
    cfg = model.get_config()
    assert cfg["layers"][0]["config"]["batch_input_shape"] == [None, 12]
    again = Sequential.from_config(cfg)
    assert again.built and again.count_params() == 52


def test_sequential_round_trip_keeps_names_summary_and_param_count():
    model = Sequential([Dense(50, activation="relu", input_dim=784), Dense(10, activation="softmax")],
                       name="mlp")
    again = rebuild(model)
    assert type(again) is Sequential and again.name == "mlp"
    assert [layer.name for layer in again.layers] == ["dense", "dense_1"]
    assert again.count_params() == model.count_params() == 39760
    assert summary(again) == summary(model)


def test_functional_config_records_inputs_outputs_shared_layer_and_call_structures():
    model = two_in_two_out()
    cfg = model.get_config()
    assert cfg["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert cfg["output_layers"] == [["out1", 0, 0], ["out2", 0, 0]]
    by_name = {spec["name"]: spec for spec in cfg["layers"]}
    assert by_name["a"]["class_name"] == "InputLayer" and by_name["a"]["inbound_nodes"] == []
    assert by_name["shared"]["inbound_nodes"] == [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]
    assert by_name["pair_sum"]["inbound_nodes"] == [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]]
    assert by_name["dict_scale"]["inbound_nodes"] == [{"x": ["shared", 0, 0, {}], "y": ["shared", 1, 0, {}]}]
    json.dumps(cfg)


def test_functional_round_trip_reproduces_graph_and_outputs():
    model = two_in_two_out()
    again = rebuild(model)
    assert type(again) is Model and again.name == "two_heads"
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    assert again.input_names == ["a", "b"] and again.output_names == ["out1", "out2"]
    assert again.count_params() == model.count_params()
    assert summary(again) == summary(model)
    assert again.get_config() == model.get_config()
    again.set_weights(model.get_weights())
    xa, xb = torch.randn(4, 6), torch.randn(4, 6)
    for y, z in zip(model([xa, xb]), again([xa, xb])):
        assert torch.equal(y, z)


def test_dict_inputs_and_outputs_round_trip():
    x = Input(shape=(3,), name="x")
    y = Input(shape=(3,), name="y")
    out = DictScale(name="dict_scale")({"x": x, "y": y})
    model = Model(inputs={"x": x, "y": y}, outputs={"doubled": Dense(2, name="head")(out)})
    cfg = model.get_config()
    assert cfg["input_layers"] == {"x": ["x", 0, 0], "y": ["y", 0, 0]}
    again = Model.from_config(json.loads(json.dumps(cfg)))
    again.set_weights(model.get_weights())
    data = {"x": torch.randn(2, 3), "y": torch.randn(2, 3)}
    assert torch.equal(model(data)["doubled"], again(data)["doubled"])


def test_nested_sequential_and_functional_models_nest_their_configs():
    encoder = Sequential([Dense(8, activation="relu", input_shape=(10,)), Dense(4)], name="encoder")
    inp = Input(shape=(4,), name="code")
    head = Model(inp, Dense(2, name="logits")(inp), name="head")
    x = Input(shape=(10,), name="x")
    model = Model(x, head(encoder(x)), name="outer")
    cfg = model.get_config()
    specs = {spec["name"]: spec for spec in cfg["layers"]}
    assert specs["encoder"]["class_name"] == "Sequential"
    assert specs["head"]["class_name"] == "Functional"
    assert [s["class_name"] for s in specs["encoder"]["config"]["layers"]] == ["Dense", "Dense"]
    assert specs["head"]["config"]["input_layers"] == [["code", 0, 0]]
    again = rebuild(model)
    assert isinstance(again.get_layer("encoder"), Sequential)
    assert [layer.name for layer in again.get_layer("encoder").layers] == ["dense", "dense_1"]
    assert again.count_params() == model.count_params() == 88 + 36 + 10
    assert summary(again) == summary(model)


def test_shared_nested_model_called_twice():
    tower = Sequential([Dense(4, activation="tanh", input_shape=(5,))], name="tower")
    a, b = Input(shape=(5,), name="a"), Input(shape=(5,), name="b")
    model = Model([a, b], PairSum(name="join")([tower(a), tower(b)]))
    cfg = model.get_config()
    tower_spec = next(s for s in cfg["layers"] if s["name"] == "tower")
    assert tower_spec["inbound_nodes"] == [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]
    again = rebuild(model)
    again.set_weights(model.get_weights())
    xa, xb = torch.randn(3, 5), torch.randn(3, 5)
    assert again.count_params() == model.count_params() == 24
    assert torch.equal(model([xa, xb]), again([xa, xb]))


def test_sequential_inside_sequential():
    inner = Sequential([Dense(6, activation="relu", input_shape=(4,)), Dense(3)], name="inner")
    outer = Sequential([inner, Dense(2, name="top")], name="outer")
    outer.build((None, 4))
    cfg = outer.get_config()
    assert cfg["layers"][0]["class_name"] == "Sequential"
    assert cfg["build_input_shape"] == [None, 4]
    again = rebuild(outer)
    assert again.built and again.count_params() == outer.count_params() == 30 + 21 + 8
    assert summary(again) == summary(outer)
    again.set_weights(outer.get_weights())
    x = torch.randn(5, 4)
    assert torch.equal(outer(x), again(x))


def test_layer_used_in_two_models_keeps_only_this_models_nodes():
    shared = Dense(3, name="shared")
    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    Model(a, shared(a), name="first")
    second = Model(b, shared(b), name="second")
    cfg = second.get_config()
    spec = next(s for s in cfg["layers"] if s["name"] == "shared")
    assert spec["inbound_nodes"] == [[["b", 0, 0, {}]]]
    assert cfg["output_layers"] == [["shared", 0, 0]]
    assert rebuild(second).count_params() == 9


def test_frozen_layers_stay_frozen():
    model = Sequential([Dense(4, input_shape=(3,), trainable=False), Dense(2)])
    again = rebuild(model)
    assert not again.layers[0].trainable and again.layers[1].trainable
    assert len(again.trainable_weights) == 2 and len(again.non_trainable_weights) == 2


def test_to_json_accepts_json_dumps_arguments():
    model = Sequential([Dense(2, input_shape=(3,))])
    text = model.to_json(indent=2, sort_keys=True)
    assert "\n  " in text
    parsed = json.loads(text)
    assert parsed["class_name"] == "Sequential" and parsed["backend"] == "torch"


def test_keras2_bare_layer_list_config_loads():
    spec = {"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "d1", "units": 4, "batch_input_shape": [None, 3]}},
        {"class_name": "Dense", "config": {"name": "d2", "units": 1}}]}
    model = model_from_json(json.dumps(spec))
    assert [layer.name for layer in model.layers] == ["d1", "d2"] and model.count_params() == 21


def test_unknown_class_lists_registered_ones_and_suggests_custom_objects():
    model = Sequential([Dense(2, input_shape=(3,))])
    text = model.to_json().replace('"class_name": "Dense"', '"class_name": "Dens"')
    with pytest.raises(ValueError, match=r"Unknown layer class 'Dens'\. Expected one of .*'Dense'.*did you mean "
                                         r"'Dense'\?.*custom_objects=.*register_serializable"):
        model_from_json(text)


def test_custom_objects_supply_an_unregistered_name():
    spec = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "MyDense", "config": {"name": "d", "units": 2, "batch_input_shape": [None, 3]}}]}}
    model = model_from_json(json.dumps(spec), custom_objects={"MyDense": Dense})
    assert isinstance(model.layers[0], Dense) and model.count_params() == 8


def test_custom_objects_must_be_layer_classes():
    spec = {"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Evil", "config": {}}]}}
    with pytest.raises(TypeError, match=r"custom_objects\['Evil'\] must be a lamina Layer"):
        model_from_json(json.dumps(spec), custom_objects={"Evil": print})


def test_model_from_json_rejects_non_json():
    with pytest.raises(ValueError, match="expects the string model.to_json\\(\\) returns"):
        model_from_json("{not json")


def test_lambda_layer_cannot_be_serialized():
    from lamina.layers import Lambda
    model = Sequential([Dense(3, input_shape=(2,)), Lambda(lambda t: t * 2)])
    with pytest.raises(ValueError, match="Lambda layer 'lambda' wraps Python code"):
        model.to_json()


def test_concatenate_and_add_list_calls_round_trip():
    from lamina.layers import Add, Concatenate
    x = Input(shape=(4,), name="x")
    a = Dense(3, name="a")(x)
    b = Dense(3, name="b")(x)
    cat = Concatenate(name="cat")([a, b, a])
    total = Add(name="sum")([a, b])
    model = Model(x, [Dense(2, name="out")(cat), total])
    cfg = model.get_config()
    spec = next(s for s in cfg["layers"] if s["name"] == "cat")
    assert spec["class_name"] == "Concatenate"
    assert spec["inbound_nodes"] == [[["a", 0, 0, {}], ["b", 0, 0, {}], ["a", 0, 0, {}]]]
    again = rebuild(model)
    assert summary(again) == summary(model)
    again.set_weights(model.get_weights())
    data = torch.randn(3, 4)
    for y, z in zip(model(data), again(data)):
        assert torch.equal(y, z)
