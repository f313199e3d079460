"""Look inside a network: curves, weights, filters, feature maps, activation maximisation,
Grad-CAM, saliency, occlusion, mistakes, receptive fields, classic kernels, the states and
gates of recurrent layers over time, and an HTML report.

Every function returns data (numpy arrays, dicts); those that draw take ``plot=True`` and then
return ``(data, figure)``, or are named ``plot_*``/``show_*`` and return a matplotlib Figure.
Figures are built without pyplot, so nothing ever opens a window; in a notebook they display
like any Figure, and ``fig.savefig("file.png")`` saves them.

They work on Sequential, functional and subclassed models, with channels_last or
channels_first data, and take layers as objects, names or indices.

Example:
    >>> from lamina import inspect
    >>> maps = inspect.feature_maps(model, x_test[0])
    >>> cam, fig = inspect.grad_cam(model, x_test[0], plot=True)
    >>> inspect.receptive_fields(model)[-1]["size"]
"""
from ._common import input_format, input_shape
from .attribution import grad_cam, occlusion, overlay_heatmap, saliency
from .evaluation import (confusion_from_probabilities, confusion_matrix, mistakes, mistakes_from_probabilities,
                         plot_confusion_matrix, plot_mistakes, predict_proba)
from .features import activation_model, feature_maps, plot_feature_maps
from .history import history_dict, plot_history, smooth_curve
from .images import image_grid, show_images
from .kernels import KERNELS, apply_kernel, gabor_bank, gabor_kernel, get_kernel
from .maximize import deprocess_image, maximize_activation, maximize_activation_grid
from .patches import top_activating_patches
from .receptive import conv_output_size, plot_receptive_fields, receptive_fields
from .report import html_report, write_report
from .sequences import plot_recurrent_states, recurrent_layers, recurrent_states
from .weights import conv_filters, dense_weights_as_images, output_unit_weights

__all__ = [
    # the image input a model takes: (rows, cols, channels) and its data format
    "input_shape", "input_format",
    # curves and images
    "plot_history", "smooth_curve", "history_dict", "show_images", "image_grid",
    # weights
    "dense_weights_as_images", "output_unit_weights", "conv_filters",
    # activations
    "activation_model", "feature_maps", "plot_feature_maps",
    "maximize_activation", "maximize_activation_grid", "deprocess_image",
    "top_activating_patches",
    # attribution
    "grad_cam", "saliency", "occlusion", "overlay_heatmap",
    # evaluation
    "confusion_matrix", "mistakes", "plot_confusion_matrix", "plot_mistakes", "predict_proba",
    "confusion_from_probabilities", "mistakes_from_probabilities",
    # recurrent layers: states and gates over time
    "recurrent_states", "plot_recurrent_states", "recurrent_layers",
    # geometry and classic kernels
    "receptive_fields", "conv_output_size", "plot_receptive_fields",
    "KERNELS", "get_kernel", "apply_kernel", "gabor_kernel", "gabor_bank",
    # report
    "html_report", "write_report",
]
