"""Module: the base class of every layer and model, found by walking attributes.

A module owns parameters and other modules simply by holding them in attributes, micrograd style:
``self.w = [Value(...) for _ in range(nin)]``, ``self.weight = Parameter(...)``,
``self.layers = [Layer(...), ...]``. Nothing has to be registered. :meth:`Module.named_parameters`
walks the attributes in the order they were assigned, looking inside lists, tuples and dicts,
and descends into every module it meets. What counts as a parameter is an :class:`nn.Parameter`
or a leaf :class:`autograd.Value` (see :func:`nn.is_parameter`).

Arrays that belong to the model's state but are not trained (a batch norm's running statistics)
are *buffers*: :meth:`Module.register_buffer`. :meth:`Module.state_dict` gives parameters and
buffers as named arrays with PyTorch's names and layouts; :meth:`Module.load_state_dict` puts
them back after checking every one (see :mod:`nn.state`).

>>> from autograd import Value
>>> class Affine(Module):
...     def __init__(self):
...         self.w = [Value(0.5), Value(-1.0)]
...         self.b = Value(0.0)
...     def forward(self, x):
...         return sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
>>> f = Affine()
>>> [name for name, _ in f.named_parameters()]
['w.0', 'w.1', 'b']
>>> f([2.0, 3.0])
Value(data=-2.0, grad=0.0)
>>> f.state_dict()
{'w.0': array(0.5), 'w.1': array(-1.), 'b': array(0.)}
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Value, is_recording_scopes, scope

from .parameter import is_parameter, parameter_size
from .state import IncompatibleKeys, Slot, load_state, read_state

__all__ = ["Module"]


def _members(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """``(dotted name, object)`` for each parameter or module directly inside ``obj``'s attributes.

    Lists, tuples and dicts (with string or int keys) are looked into, to any depth; modules are
    yielded, not entered.
    """
    if isinstance(obj, Module):
        items: Any = getattr(obj, "__dict__", {}).items()
    elif isinstance(obj, list | tuple):
        items = ((str(i), v) for i, v in enumerate(obj))
    else:  # a dict
        items = ((_key(k, v, prefix), v) for k, v in obj.items())
    for key, value in items:
        if key is None:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Module) or is_parameter(value):
            yield name, value
        elif isinstance(value, list | tuple | dict) and value:
            yield from _members(value, name + ".")


def _key(key: Any, value: Any, prefix: str) -> str | None:
    """A dict key as part of a parameter name; None for a key that holds nothing to train."""
    if isinstance(key, str):
        return key
    if isinstance(key, numbers.Integral) and not isinstance(key, bool | np.bool_):
        return str(int(key))
    if isinstance(value, Module) or is_parameter(value) or (
            isinstance(value, list | tuple | dict) and any(True for _ in _members(value, ""))):
        raise TypeError(f"Module: the dict at {prefix.rstrip('.') or 'the module'} holds modules "
                        f"or parameters under the key {key!r}; use str or int keys, so that "
                        "they can be named (and saved)")
    return None


_IN_REPR: set[int] = set()  # modules being printed: a child pointing back up is not entered


class Module:
    """Base class of layers and models: parameters, submodules, modes, printing.

    Subclasses define ``forward`` (called by ``module(x)``) or, like micrograd's modules,
    ``__call__`` directly; calling ``super().__init__()`` is not required. ``training`` is True
    until :meth:`eval` is called.
    """

    training: bool = True

    # ---- calling -----------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run :meth:`forward`; while graph scopes are recorded, nodes are attributed to self."""
        if not is_recording_scopes():
            return self.forward(*args, **kwargs)
        with scope(self):
            return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} defines no forward(); define "
                                  "forward(self, x) (or __call__) in the subclass")

    # ---- parameters and submodules -----------------------------------------------------------
    def named_parameters(self) -> list[tuple[str, Any]]:
        """``(dotted name, parameter)`` pairs; a shared parameter appears once, first name wins.

        The order is PyTorch's: a module's own parameters (in attribute order), then each
        submodule's, depth first. The name is the path of attributes, list indices and dict
        keys leading to the parameter, e.g. ``"layers.0.neurons.3.w.1"`` or ``"0.weight"``.
        """
        out: list[tuple[str, Any]] = []
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, obj in _members(module, f"{prefix}." if prefix else ""):
                if not isinstance(obj, Module) and id(obj) not in seen:
                    seen.add(id(obj))
                    out.append((name, obj))
        return out

    def parameters(self) -> list[Any]:
        """All parameters (Values, or Tensors that require gradients), each once, as a list."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers the parameters hold (a Value counts 1, an array its size)."""
        return sum(parameter_size(p) for p in self.parameters())

    def named_children(self) -> list[tuple[str, Module]]:
        """The modules held directly by this one (in lists too), each once, with their names."""
        out, seen = [], {id(self)}
        for name, obj in _members(self, ""):
            if isinstance(obj, Module) and id(obj) not in seen:
                seen.add(id(obj))
                out.append((name, obj))
        return out

    def named_modules(self) -> list[tuple[str, Module]]:
        """This module (named ``""``) and every module below it, depth first, each once."""
        out: list[tuple[str, Module]] = []
        seen = {id(self)}
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            name, module = stack.pop()
            out.append((name, module))
            found = [(f"{name}.{n}" if name else n, c) for n, c in module.named_children()
                     if id(c) not in seen]
            seen.update(id(c) for _, c in found)
            stack.extend(reversed(found))
        return out

    def modules(self) -> list[Module]:
        """This module and every module below it, each once."""
        return [m for _, m in self.named_modules()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient: 0.0 for a Value, None for an array parameter."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    # ---- modes -------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode here and below; return self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): expected a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout off, ...) here and below; return self."""
        return self.train(False)

    # ---- buffers and state -------------------------------------------------------------------
    def register_buffer(self, name: str, array: np.ndarray | None,
                        persistent: bool = True) -> None:
        """Keep ``array`` in attribute ``name`` as state that is saved but not trained.

        A buffer (a batch norm's running mean, a step counter) is in :meth:`state_dict` (unless
        ``persistent=False``) and moves with the weights, but it is never a parameter: no
        optimizer changes it. Assigning ``self.<name> = new_array`` later replaces the buffer.
        ``None`` reserves the name without an array (it is then left out of the state).

        >>> import numpy as np
        >>> m = Module()
        >>> m.register_buffer("count", np.zeros((), dtype=np.int64))
        >>> m.count += 1
        >>> m.state_dict(), m.parameters()
        ({'count': array(1)}, [])
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"register_buffer: name must be a Python identifier (a str without "
                            f"dots), got {name!r}")
        if name in getattr(self, "__dict__", {}) and name not in self._buffer_names():
            raise ValueError(f"register_buffer: {type(self).__name__} already has an attribute "
                             f"{name!r} that is not a buffer")
        if array is not None and not isinstance(array, np.ndarray):
            raise TypeError(f"register_buffer: {name!r} must be a numpy array or None, got "
                            f"{type(array).__name__}")
        self.__dict__.setdefault("_buffers", {})[name] = bool(persistent)
        setattr(self, name, array)

    def _buffer_names(self) -> dict[str, bool]:
        """``{name: persistent}`` for the buffers registered on this module itself."""
        return getattr(self, "__dict__", {}).get("_buffers", {})

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """``(dotted name, array)`` for every buffer here and below (None buffers left out)."""
        out = []
        for prefix, module in self.named_modules():
            for name in module._buffer_names():
                array = getattr(module, name, None)
                if array is not None:
                    out.append((f"{prefix}.{name}" if prefix else name, array))
        return out

    def buffers(self) -> list[np.ndarray]:
        """Every buffer's array, here and below."""
        return [b for _, b in self.named_buffers()]

    def _state_slots(self, prefix: str = "", path: frozenset[int] = frozenset()
                     ) -> Iterator[tuple[str, Slot]]:
        """The entries of :meth:`state_dict` as :class:`nn.state.Slot` objects, in PyTorch's
        order: own parameters, own persistent buffers, then each child's entries. A module
        shared by two parents appears under both names (as in PyTorch); a child pointing back
        up to a module on the current path is not entered."""
        path = path | {id(self)}
        members = list(_members(self, prefix))
        for name, obj in members:
            if not isinstance(obj, Module):
                yield name, Slot.of_parameter(obj)
        for name, persistent in self._buffer_names().items():
            if persistent and getattr(self, name, None) is not None:
                if not isinstance(getattr(self, name), np.ndarray | np.generic):
                    raise TypeError(f"state_dict: buffer {prefix}{name} of {type(self).__name__} "
                                    f"holds a {type(getattr(self, name)).__name__}; buffers are "
                                    "numpy arrays")
                yield prefix + name, Slot.of_buffer(self, name)
        for name, child in members:
            if isinstance(child, Module) and id(child) not in path:
                yield from child._state_slots(f"{name}.", path)

    def _named_slots(self, owner: str) -> list[tuple[str, Slot]]:
        slots = list(self._state_slots())
        names: set[str] = set()
        for name, _ in slots:
            if name in names:
                raise ValueError(f"{owner}: two entries of {type(self).__name__} are both named "
                                 f"{name!r} (e.g. dict keys 0 and '0'); give them different names")
            names.add(name)
        return slots

    def state_dict(self) -> dict[str, np.ndarray]:
        """The model's state: ``{dotted name: a copy of the array}``, parameters and buffers.

        Names and layouts are PyTorch's (``"0.weight"`` of shape (out, in) for a Dense layer at
        index 0 of a Sequential), so ``torch_model.load_state_dict({k: torch.from_numpy(v) ...})``
        takes it. A Value is a 0-d float64 array; the scalar :class:`nn.Layer` gives its weights
        as one (nout, nin) array and its biases as (nout,).
        """
        return read_state(iter(self._named_slots("state_dict")))

    def load_state_dict(self, state: Any, strict: bool = True) -> IncompatibleKeys:
        """Set parameters and buffers from ``state`` (a :meth:`state_dict`, here or PyTorch's).

        Every name, shape and dtype is checked before anything is assigned: with
        ``strict=True`` (the default) a missing name, an unexpected name, a shape or a dtype
        that does not fit are listed together in one ValueError and the model is left as it
        was. ``strict=False`` skips missing and unexpected names (shapes must still fit) and
        returns them, as PyTorch does. Arrays are cast to each entry's dtype (float64 arrays load
        into float32 layers); ``torch.Tensor`` values are read without a copy through numpy.
        Array parameters are overwritten in place, so an optimizer holding them keeps working.

        >>> import numpy as np
        >>> from nn import Dense
        >>> layer = Dense(2, 1)
        >>> layer.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.zeros(1)})
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> layer.weight.data, layer.weight.dtype
        (array([[1., 2.]], dtype=float32), dtype('float32'))
        """
        if not isinstance(strict, bool):
            raise TypeError(f"load_state_dict: strict must be a bool, got {type(strict).__name__}")
        return load_state("load_state_dict", type(self).__name__,
                          self._named_slots("load_state_dict"), state, strict)

    def save_weights(self, path: Any) -> None:
        """Write :meth:`state_dict` to a ``.npz`` file atomically (see :func:`nn.save_weights`)."""
        from .io import save_weights
        save_weights(self, path)

    def load_weights(self, path: Any) -> None:
        """Read a file written by :meth:`save_weights` (see :func:`nn.load_weights`)."""
        from .io import load_weights
        load_weights(self, path)

    # ---- printing ----------------------------------------------------------------------------
    def output_shape(self, input_shape: tuple[int | None, ...] | None) -> tuple | None:
        """The shape of the output for an input of ``input_shape``; None when it is not known.

        Used by :meth:`summary`. ``()`` means a single scalar (a Value), ``(n,)`` a list of n
        Values; array layers include the batch dimension as None, as Keras does. Layers that know
        their output shape override this.
        """
        return None

    def extra_repr(self) -> str:
        """The arguments shown inside the parentheses of the repr, e.g. ``"nin=2, nout=16"``."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        if id(self) in _IN_REPR:  # a back-reference (child.owner = parent): do not loop
            return f"{type(self).__name__}(...)"
        _IN_REPR.add(id(self))
        try:
            children = [(n, repr(m)) for n, m in self.named_children()]
        finally:
            _IN_REPR.discard(id(self))
        lines = [extra] if extra else []
        for label, text in _collapse(children):
            lines.append(f"({label}): {text}")
        if not lines or (len(lines) == 1 and extra):
            return f"{type(self).__name__}({extra})"
        body = "\n".join(lines).replace("\n", "\n  ")
        return f"{type(self).__name__}(\n  {body}\n)"

    def summary(self, input_shape: tuple[int | None, ...] | None = None,
                print_fn: Any = print) -> str:
        """Print and return a Keras-style table: each submodule, its output shape, its parameters.

        Output shapes are passed from one row to the next, starting from ``input_shape``, which is
        right for a chain of layers (MLP, Sequential); ``?`` marks a shape that is not known. A
        module without submodules is one row. Total params counts shared parameters once.
        """
        rows_in = self.named_children() or [(type(self).__name__.lower(), self)]
        rows = []
        shape = input_shape
        for name, module in rows_in:
            shape = module.output_shape(shape)
            rows.append((f"{name} ({type(module).__name__})", _shape_text(shape),
                         f"{module.num_parameters():,}"))
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(r[i]) for r in [header, *rows]) + 3 for i in range(3)]
        fmt = lambda r: "".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
        rule = sum(widths)
        lines = [f'Model: "{type(self).__name__}"', "_" * rule, fmt(header), "=" * rule]
        for i, row in enumerate(rows):
            lines.append(fmt(row))
            lines.append("_" * rule if i < len(rows) - 1 else "=" * rule)
        lines.append(f"Total params: {self.num_parameters():,}")
        lines.append("_" * rule)
        text = "\n".join(lines)
        if print_fn is not None:
            print_fn(text)
        return text


def _shape_text(shape: tuple | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _collapse(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge runs of list elements with the same repr: ``neurons.0-15: 16 x ReLUNeuron(2)``."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(items):
        name, text = items[i]
        base, _, index = name.rpartition(".")
        j = i + 1
        if index.isdigit():
            while (j < len(items) and items[j][1] == text
                   and items[j][0] == f"{base}.{int(index) + j - i}"):
                j += 1
        if j - i > 1:
            out.append((f"{name}-{int(index) + j - i - 1}", f"{j - i} x {text}"))
        else:
            out.append((name, text))
        i = j
    return out
