"""Embedding: a table of learned vectors, one per token (word, character, category).

>>> import numpy as np
>>> layer = Embedding(10, 3, rng=0)
>>> tokens = np.array([[1, 5, 5], [0, 9, 2]])  # 2 sequences of 3 tokens
>>> layer(tokens).shape, layer.output_shape((3,))
((2, 3, 3), (None, 3, 3))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor

from . import functional as F
from ._checks import count, generator, indices
from .layers import Shape, _batched
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """Row ``i`` of ``weight`` (num_embeddings, embedding_dim) for each index ``i``:

        y[s] = weight[x[s]]   for integer indices x of any shape S; y is S + (embedding_dim,)

    the same as a Dense layer without bias on one-hot vectors, without making them. The gradient
    adds dL/dy[s] into row x[s] (a token met twice gets both). ``weight`` starts N(0, 1), as
    PyTorch's ``Embedding`` (Keras draws U(-0.05, 0.05)).

    Args:
        num_embeddings: how many rows (the size of the vocabulary); indices go 0 to it - 1.
        embedding_dim: the length of each vector.
        rng: a numpy Generator or int seed for the initial weights (default: a generator
            seeded from numpy's global one).

    The input is an integer numpy array or Tensor; other dtypes are a TypeError, an index out
    of range an IndexError that names it and its place.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, rng: Any = None) -> None:
        self.num_embeddings = count("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = count("Embedding", "embedding_dim", embedding_dim)
        data = generator("Embedding", rng).standard_normal((self.num_embeddings,
                                                             self.embedding_dim))
        self.weight = Parameter(data.astype(np.float32), label="Embedding.weight")

    def forward(self, x: Any) -> Tensor:
        return F.embedding(indices(self._name(), x, self.num_embeddings), self.weight)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        return (*_batched(tuple(input_shape)), self.embedding_dim)

    def _name(self) -> str:
        return f"Embedding({self.extra_repr()})"

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
