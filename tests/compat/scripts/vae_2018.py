'''This script demonstrates how to build a variational autoencoder with Keras.

Keras 2 script, 2018 style (adapted from the Keras examples variational_autoencoder.py of
Keras 2.1): the VAE loss is added by a custom layer calling self.add_loss, the model is
compiled with loss=None and trained on x alone, and plot_model draws the three models.
Usage: python vae_2018.py [mnist.npz] [epochs]

# Reference
- Auto-Encoding Variational Bayes
  https://arxiv.org/abs/1312.6114
'''
from __future__ import print_function
import sys

import numpy as np
np.random.seed(1337)

from keras.layers import Input, Dense, Lambda, Layer
from keras.models import Model
from keras import backend as K
from keras import metrics
from keras.utils import plot_model

batch_size = 100
original_dim = 784
latent_dim = 2
intermediate_dim = 256
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
epsilon_std = 1.0

x = Input(shape=(original_dim,))
h = Dense(intermediate_dim, activation='relu')(x)
z_mean = Dense(latent_dim)(h)
z_log_var = Dense(latent_dim)(h)


def sampling(args):
    z_mean, z_log_var = args
    epsilon = K.random_normal(shape=(K.shape(z_mean)[0], latent_dim), mean=0.,
                              stddev=epsilon_std)
    return z_mean + K.exp(z_log_var / 2) * epsilon

# note that "output_shape" isn't necessary with the TensorFlow backend
z = Lambda(sampling, output_shape=(latent_dim,))([z_mean, z_log_var])

# we instantiate these layers separately so as to reuse them later
decoder_h = Dense(intermediate_dim, activation='relu')
decoder_mean = Dense(original_dim, activation='sigmoid')
h_decoded = decoder_h(z)
x_decoded_mean = decoder_mean(h_decoded)


# Custom loss layer
class CustomVariationalLayer(Layer):
    def __init__(self, **kwargs):
        self.is_placeholder = True
        super(CustomVariationalLayer, self).__init__(**kwargs)

    def vae_loss(self, x, x_decoded_mean, z_mean, z_log_var):
        xent_loss = original_dim * metrics.binary_crossentropy(x, x_decoded_mean)
        kl_loss = - 0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
        return K.mean(xent_loss + kl_loss)

    def call(self, inputs):
        x = inputs[0]
        x_decoded_mean = inputs[1]
        loss = self.vae_loss(x, x_decoded_mean, inputs[2], inputs[3])
        self.add_loss(loss, inputs=inputs)
        # We won't actually use the output.
        return x

y = CustomVariationalLayer()([x, x_decoded_mean, z_mean, z_log_var])
vae = Model(x, y)
vae.compile(optimizer='rmsprop', loss=None)
vae.summary()
plot_model(vae, to_file='vae_mlp.png', show_shapes=True)

# train the VAE on MNIST digits
path = sys.argv[1] if len(sys.argv) > 1 else 'mnist.npz'
f = np.load(path)
x_train, x_test = f['x_train'], f['x_test']
f.close()

x_train = x_train.astype('float32') / 255.
x_test = x_test.astype('float32') / 255.
x_train = x_train.reshape((len(x_train), np.prod(x_train.shape[1:])))
x_test = x_test.reshape((len(x_test), np.prod(x_test.shape[1:])))

history = vae.fit(x_train,
                  shuffle=True,
                  epochs=epochs,
                  batch_size=batch_size,
                  validation_data=(x_test, None))

# build a model to project inputs on the latent space
encoder = Model(x, z_mean)
plot_model(encoder, to_file='vae_encoder.png', show_shapes=True)

# display a 2D plot of the digit classes in the latent space
x_test_encoded = encoder.predict(x_test, batch_size=batch_size)

# build a digit generator that can sample from the learned distribution
decoder_input = Input(shape=(latent_dim,))
_h_decoded = decoder_h(decoder_input)
_x_decoded_mean = decoder_mean(_h_decoded)
generator = Model(decoder_input, _x_decoded_mean)
plot_model(generator, to_file='vae_generator.svg', show_shapes=True)

# display a 2D manifold of the digits
n = 15  # figure with 15x15 digits
digit_size = 28
figure = np.zeros((digit_size * n, digit_size * n))
grid_x = np.linspace(-2, 2, n)
grid_y = np.linspace(-2, 2, n)
for i, yi in enumerate(grid_x):
    for j, xi in enumerate(grid_y):
        z_sample = np.array([[xi, yi]])
        x_decoded = generator.predict(z_sample)
        digit = x_decoded[0].reshape(digit_size, digit_size)
        figure[i * digit_size: (i + 1) * digit_size,
               j * digit_size: (j + 1) * digit_size] = digit

print('VAE losses: ' + ' '.join('%.4f' % v for v in history.history['loss']))
print('VAE val_losses: ' + ' '.join('%.4f' % v for v in history.history['val_loss']))
print('VAE encoded shape: %s' % (x_test_encoded.shape,))
print('VAE manifold range: %.4f %.4f' % (figure.min(), figure.max()))
