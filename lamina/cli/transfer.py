"""``lamina train --base vgg16 --weights FILE --data DIR``: a pretrained network on a folder of photos.

The recipe of Deep Learning with Python (chapter 5.3): (1) fast feature extraction, the frozen convolutional base run once over the
images (``conv_base.predict``) and a small dense classifier trained on its outputs; (2) fine-tuning,
the classifier put on top of the base, its last block unfrozen and the whole trained end to end on
augmented images with a small learning rate. BatchNormalization layers stay frozen (inference mode).

DIR holds one sub-folder per class, or ``train/``, ``validation/`` (and ``test/``) folders that do.
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

from ._errors import CLIError

BASES = ("vgg16", "vgg19", "resnet50", "mobilenet_v2")
# The first layer of the block that fine-tuning unfreezes (by name prefix), as Deep Learning with Python unfreezes block5.
_FINE_TUNE_FROM = {"vgg16": "block5_", "vgg19": "block5_", "resnet50": "conv5_", "mobilenet_v2": "block_16_"}
_AUGMENT = dict(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
                horizontal_flip=True, fill_mode="nearest")


def _folders(data: Path, validation_split: float):
    """(train dir, validation dir or None, test dir or None, use validation_split)."""
    if not data.is_dir():
        raise CLIError(f"--data {str(data)!r} is not a folder. Give a folder with one sub-folder of images per "
                       f"class, or with train/ and validation/ folders that have them.")
    train = data / "train"
    if train.is_dir():
        val = next((data / n for n in ("validation", "val", "valid") if (data / n).is_dir()), None)
        test = data / "test" if (data / "test").is_dir() else None
        if val is None and not validation_split:
            raise CLIError(f"{data} has train/ but no validation/ folder; add one or pass --validation-split.")
        return train, val, test, val is None
    if not validation_split:
        raise CLIError(f"{data} has no train/ and validation/ folders; pass --validation-split (e.g. 0.2) to hold "
                       f"out part of each class folder.")
    return data, None, None, True


def check_keras_split(folder: Path, validation_split: float) -> None:
    """Every class folder keeps training and validation images under flow_from_directory's split
    (the first ``int(validation_split * n)`` images of a class validate); else say which do not."""
    from ._data import IMAGE_SUFFIXES
    short = []
    for d in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        n = sum(1 for f in d.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        k = int(validation_split * n)
        if k == 0 or k == n:
            short.append(f"{d.name} ({n} image{'s' if n != 1 else ''})")
    if short:
        need = max(2, math.ceil(1 / validation_split - 1e-9))
        raise CLIError(f"--validation-split {validation_split:g} leaves no training or no validation image in "
                       f"class folder(s) {', '.join(short)} of {folder}: each needs at least {need} images for "
                       f"this split. Add images, raise --validation-split, or give train/ and validation/ "
                       f"folders.")


def _preprocess_for(base: str, weights: str):
    from ..applications import imagenet_utils, weights as app_weights
    mode = {"mobilenet_v2": "tf"}.get(base, "caffe")
    if weights not in (None, "imagenet") and Path(weights).is_file() and app_weights._is_torch_file(weights):
        mode = "torch"  # torchvision's weights were trained on torchvision's preprocessing
    return mode, lambda x: imagenet_utils.preprocess_input(x, mode=mode)


def _conv_base(base: str, weights, size: int):
    from .. import applications
    factory = {"vgg16": applications.VGG16, "vgg19": applications.VGG19, "resnet50": applications.ResNet50,
               "mobilenet_v2": applications.MobileNetV2}[base]
    try:
        return factory(weights=weights, include_top=False, input_shape=(size, size, 3))
    except (ValueError, FileNotFoundError) as err:
        raise CLIError(str(err)) from None


def _head(base: str, feature_shape, units: int, classes: int):
    from .. import Sequential, layers
    pool = layers.Flatten() if base.startswith("vgg") else layers.GlobalAveragePooling2D()
    out = layers.Dense(1, activation="sigmoid") if classes == 2 else layers.Dense(classes, activation="softmax")
    return Sequential([layers.InputLayer(shape=feature_shape), pool, layers.Dense(units, activation="relu"),
                       layers.Dropout(0.5), out], name="classifier")


def unfreeze_last_block(conv_base, base: str) -> list[str]:
    """Deep Learning with Python's loop: layers before the last block frozen, the last block trainable (BatchNorm stays
    frozen). Returns the names of the layers made trainable."""
    from ..layers import BatchNormalization
    conv_base.trainable = True
    prefix, on, names = _FINE_TUNE_FROM[base], False, []
    for layer in conv_base.layers:
        on = on or layer.name.startswith(prefix)
        layer.trainable = on and not isinstance(layer, BatchNormalization)
        if layer.trainable and layer.weights:
            names.append(layer.name)
    return names


def run(args) -> int:
    from .. import Sequential, callbacks, optimizers, utils
    from ..preprocessing.image import ImageDataGenerator
    from .train import _output_dir, _versions, optimizer_settings, save_curves

    if args.base not in BASES:
        from .._errors import did_you_mean
        raise CLIError(f"unknown --base {args.base!r}. Available: {', '.join(BASES)}"
                       f"{did_you_mean(args.base, BASES) or '.'}")
    if not args.data:
        raise CLIError("--base needs --data DIR, a folder of images with one sub-folder per class.")
    args.image_size = args.image_size or 150  # the course's size
    if args.image_size < 32:
        raise CLIError(f"--image-size must be at least 32 (the networks downsample 32 times); received "
                       f"{args.image_size}.")
    utils.set_random_seed(args.seed)
    weights = args.weights or "imagenet"
    if weights.lower() == "none":
        weights = None
        print(f"lamina train: warning: --weights none starts {args.base} from random weights: nothing is "
              f"transferred, and a network this size needs many thousands of images to learn from scratch. "
              f"For a small folder, --model cnn (without --base) trains faster and better.", file=sys.stderr)
    elif weights != "imagenet" and not Path(weights).is_file():
        raise CLIError(f"--weights {weights!r} is not a file. Pass a Keras .h5 file, a torchvision .pth state dict, "
                       f"or 'imagenet' (from the cache $LAMINA_HOME/models).")
    train_dir, val_dir, test_dir, split = _folders(Path(args.data), args.validation_split)
    if split:
        check_keras_split(train_dir, args.validation_split)
    mode, preprocess = _preprocess_for(args.base, weights)
    size = (args.image_size, args.image_size)
    held_out = args.validation_split if split else 0.0
    plain = ImageDataGenerator(preprocessing_function=preprocess, validation_split=held_out)

    def iterator(gen, directory, subset, shuffle, class_mode):
        try:
            return gen.flow_from_directory(str(directory), target_size=size, batch_size=args.batch_size,
                                           class_mode=class_mode, shuffle=shuffle, seed=args.seed,
                                           subset=subset if split else None)
        except (ValueError, FileNotFoundError) as err:
            raise CLIError(str(err)) from None

    classes = iterator(plain, train_dir, "training", False, None).num_classes
    binary = classes == 2
    class_mode = "binary" if binary else "sparse"
    train_plain = iterator(plain, train_dir, "training", False, class_mode)
    val_it = iterator(plain, val_dir or train_dir, "validation", False, class_mode)
    if classes < 2 or train_plain.samples == 0 or val_it.samples == 0:
        raise CLIError(f"{args.data} needs images of at least 2 classes for training and validation; found "
                       f"{classes} classes, {train_plain.samples} training and {val_it.samples} validation images.")

    conv_base = _conv_base(args.base, weights, args.image_size)
    conv_base.trainable = False
    start = time.perf_counter()
    # 1. Feature extraction: run the frozen base once, train a classifier on its outputs.
    features = conv_base.predict(train_plain, verbose=0)
    val_features = conv_base.predict(val_it, verbose=0)
    dtype = "float32" if binary else "int64"
    labels, val_labels = train_plain.classes.astype(dtype), val_it.classes.astype(dtype)
    loss = "binary_crossentropy" if binary else "sparse_categorical_crossentropy"
    head = _head(args.base, features.shape[1:], 256, classes)
    lr = args.lr if args.lr is not None else 2e-5
    head.compile(optimizer=optimizers.RMSprop(learning_rate=lr), loss=loss, metrics=["accuracy"])
    stop = dict(monitor="val_loss", min_delta=1e-4, patience=args.patience, restore_best_weights=True, verbose=0)
    h1 = head.fit(features, labels, batch_size=args.batch_size, epochs=args.epochs,
                  validation_data=(val_features, val_labels), callbacks=[callbacks.EarlyStopping(**stop)],
                  verbose=args.verbose)
    feature_acc = head.evaluate(val_features, val_labels, verbose=0)[1]
    print(f"feature extraction: validation accuracy {feature_acc:.4f} ({len(h1.epoch)} epochs)")

    # 2. Fine-tuning: base + classifier end to end, last block unfrozen, augmented images, lr / 2.
    model = Sequential([conv_base, head], name=f"{args.base}_transfer")
    unfrozen = unfreeze_last_block(conv_base, args.base)
    model.compile(optimizer=optimizers.RMSprop(learning_rate=lr / 2), loss=loss, metrics=["accuracy"])
    model.summary()
    augment = ImageDataGenerator(preprocessing_function=preprocess, validation_split=held_out, **_AUGMENT)
    train_aug = iterator(augment, train_dir, "training", True, class_mode)
    h2 = model.fit(train_aug, epochs=args.fine_tune_epochs, validation_data=val_it,
                   callbacks=[callbacks.EarlyStopping(**stop)], verbose=args.verbose)
    train_seconds = time.perf_counter() - start

    test_it = iterator(plain, test_dir, None, False, class_mode) if test_dir is not None else val_it
    test_loss, test_acc = model.evaluate(test_it, verbose=0)
    where = "test" if test_dir is not None else "validation"
    out = _output_dir(args)
    model.save(out / "model.lamina")
    history = {k: h1.history[k] + h2.history.get(k, []) for k in h1.history}
    record = {"base": args.base, "weights": weights, "preprocessing": mode, "data": str(args.data),
              "image_size": args.image_size, "classes": train_plain.class_indices,
              "feature_extraction": {"epochs_run": len(h1.epoch), "val_accuracy": feature_acc},
              "fine_tuning": {"epochs_run": len(h2.epoch), "unfrozen_layers": unfrozen},
              "train_seconds": round(train_seconds, 2), f"{where}_loss": test_loss, f"{where}_accuracy": test_acc,
              "history": history,
              "settings": {"model": f"{args.base} + dense classifier", "weights": weights or "none (random)",
                           "optimizer": optimizer_settings(model.optimizer), "learning_rate": lr,
                           "fine_tuning_learning_rate": lr / 2, "batch_size": args.batch_size,
                           "epochs_run": len(h1.epoch) + len(h2.epoch), "seed": args.seed,
                           "augment": "strong (fine-tuning)", "image_size": args.image_size,
                           "data": {"source": str(args.data), "classes": list(train_plain.class_indices),
                                    "train_images": train_plain.samples, "validation_images": val_it.samples},
                           "versions": _versions(), "wall_seconds": round(time.perf_counter() - start, 2)}}
    (out / "history.json").write_text(json.dumps(record, indent=2))
    save_curves(history, out / "curves.png")
    print(f"{where} accuracy: {test_acc:.4f} ({where} loss {test_loss:.4f}, {test_it.samples} images)")
    print(f"feature extraction {len(h1.epoch)} epochs, fine-tuning {len(h2.epoch)} epochs in {train_seconds:.1f}s")
    print(f"saved model, history and curves in {out}/")
    return 0
