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
from .history import History
from .io import load_weights, save_weights
from .layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sequential, Sigmoid, Tanh
from .losses import binary_cross_entropy, cross_entropy, hinge, mse
from .module import Module
from .optim import SGD, Adam, Optimizer
from .parameter import Parameter, is_parameter, parameter_size
from .recurrent import GRU, LSTM, RNN
from .scalar import MLP, Layer, Neuron
from .schedules import CosineDecay, ExponentialDecay, LearningRateSchedule
from .training import accuracy, evaluate, fit, predict

__all__ = [
    "MLP", "SGD", "Adam", "CSVLogger", "Callback", "Conv2D", "CosineDecay", "Dense", "Dropout",
    "EarlyStopping", "ExponentialDecay", "Flatten", "GRU", "History", "LSTM", "LambdaCallback",
    "LearningRateSchedule", "LearningRateScheduler", "Layer", "MaxPool2D", "ModelCheckpoint",
    "Module", "Neuron", "Optimizer", "Parameter", "RNN", "ReLU", "ReduceLROnPlateau",
    "Sequential", "Sigmoid", "Tanh", "TerminateOnNaN", "accuracy", "binary_cross_entropy",
    "cross_entropy", "data", "datasets", "evaluate", "export", "fit", "functional", "hinge",
    "is_parameter", "load_weights", "mse", "parameter_size", "predict", "save_weights",
]
