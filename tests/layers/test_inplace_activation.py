"""Conv and Dense apply ReLU in place on their fresh output: values and gradients must not change."""
import torch
import torch.nn.functional as F

import lamina
from lamina import layers


def test_conv2d_relu_in_place_matches_out_of_place_values_and_gradients():
    torch.manual_seed(0)
    conv = layers.Conv2D(6, 3, padding="same", activation="relu")
    x = torch.randn(4, 8, 8, 3, requires_grad=True)
    y = conv(x)
    y.square().sum().backward()
    x_ref = x.detach().clone().requires_grad_(True)
    kernel = conv.kernel.detach().clone().requires_grad_(True)
    ref = torch.relu(F.conv2d(x_ref.permute(0, 3, 1, 2), kernel, conv.bias.detach(), padding=1)).permute(0, 2, 3, 1)
    ref.square().sum().backward()
    torch.testing.assert_close(y, ref)
    torch.testing.assert_close(x.grad, x_ref.grad)
    torch.testing.assert_close(conv.kernel.grad, kernel.grad)


def test_dense_relu_in_place_in_a_trained_model_matches_reference():
    torch.manual_seed(0)
    model = lamina.Sequential([layers.Dense(5, activation="relu", input_shape=(4,)), layers.Dense(2)])
    x = torch.randn(3, 4)
    model(x).sum().backward()
    d = model.layers[0]
    w = d.kernel.detach().clone().requires_grad_(True)
    out = F.linear(torch.relu(F.linear(x, w, d.bias.detach())), model.layers[1].kernel.detach(),
                   model.layers[1].bias.detach())
    out.sum().backward()
    torch.testing.assert_close(d.kernel.grad, w.grad)
