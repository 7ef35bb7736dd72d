"""glassgrad's nn: modules, layers, losses, optimizers, training, data; on autograd's public face.

>>> import random
>>> from autograd import Value
>>> from nn import MLP, SGD, mse
>>> random.seed(0)
>>> model = MLP(2, [4, 1])
>>> opt = SGD(model.parameters(), lr=0.05)
>>> xs, ys = [[1.0, 2.0], [-1.0, 0.5]], [1.0, -1.0]
>>> first = mse([model(x) for x in xs], ys)
>>> for _ in range(20):
...     loss = mse([model(x) for x in xs], ys)
...     opt.zero_grad(); loss.backward(); opt.step()
>>> loss.data < first.data
True
"""

from . import data, datasets, export, functional
from .callbacks import (
    Callback,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from .checkpoint import CSVLogger, ModelCheckpoint
from .embedding import Embedding
from .history import History
from .io import load_weights, save_weights
from .layers import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Tanh,
)
from .losses import binary_cross_entropy, cross_entropy, hinge, mse
from .module import Module
from .normalization import BatchNorm, LayerNorm
from .optim import SGD, Adam, Optimizer
from .parameter import Parameter, is_parameter, parameter_size
from .scalar import MLP, Layer, Neuron
from .schedules import CosineDecay, ExponentialDecay, LearningRateSchedule
from .training import accuracy, evaluate, fit, predict
from .upsampling import Conv2DTranspose, UpSampling2D

__all__ = [
    "MLP", "SGD", "Adam", "BatchNorm", "CSVLogger", "Callback", "Conv2D", "Conv2DTranspose",
    "CosineDecay", "Dense", "Dropout", "EarlyStopping", "Embedding", "ExponentialDecay",
    "Flatten", "History", "LambdaCallback", "LayerNorm", "LeakyReLU", "LearningRateSchedule",
    "LearningRateScheduler", "Layer", "MaxPool2D", "ModelCheckpoint", "Module", "Neuron",
    "Optimizer", "Parameter", "ReLU", "ReduceLROnPlateau", "Reshape", "Sequential", "Sigmoid",
    "Tanh", "TerminateOnNaN", "UpSampling2D", "accuracy", "binary_cross_entropy",
    "cross_entropy", "data", "datasets", "evaluate", "export", "fit", "functional", "hinge",
    "is_parameter", "load_weights", "mse", "parameter_size", "predict", "save_weights",
]
