"""``keras.initializers``: lamina's initializers, with Keras 2's lowercase aliases."""
from ..initializers import *  # noqa: F401,F403
from ..initializers import __all__ as _all
from ..initializers import (Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, LecunNormal,
                            LecunUniform, Ones, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
                            VarianceScaling, Zeros)

# Keras 2 exported these lowercase names too (keras.initializers.glorot_uniform(seed=1)).
zeros = zero = Zeros
ones = one = Ones
constant = Constant
random_normal = normal = RandomNormal
random_uniform = uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
orthogonal = Orthogonal
identity = Identity
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal

__all__ = [*_all, "zeros", "zero", "ones", "one", "constant", "random_normal", "normal", "random_uniform",
           "uniform", "truncated_normal", "variance_scaling", "orthogonal", "identity", "glorot_uniform",
           "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal"]
