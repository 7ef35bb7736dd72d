"""The modes of the running thread: whether ops record a graph, which scope is making nodes, and
anomaly detection.

They belong to the running thread, as PyTorch's grad mode does: they live in one context variable,
so a ``no_grad()`` in one thread (or asyncio task) leaves every other one recording. The ops read
them for every node they make (:func:`modes`); :func:`changed_modes` changes some of them for a
block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

__all__ = [
    "Modes", "changed_modes", "enable_grad", "is_grad_enabled", "is_recording_scopes", "modes",
    "no_grad", "note_scope", "record_scopes", "scope",
]


class Modes(NamedTuple):
    """The modes of the running thread: one immutable record; a change makes a new one.

    Attributes:
        grad: whether new operations record the graph (off under :func:`no_grad`).
        scopes: while :func:`record_scopes` is active, the dict it fills: ``id(node)`` ->
            ``(node, innermost scope)``; else None, and the ops pay a single attribute check.
        scope_stack: the modules (or names) entered with :func:`scope`, innermost last.
        anomaly: while ``autograd.detect_anomaly()`` is active, its state (where each node was
            made, the node whose rule the backward pass is applying); else None.

    The record is immutable, but the dict of ``scopes`` and the anomaly state it points to are
    not: a task or thread started with a copy of this context (an asyncio task,
    ``asyncio.to_thread``) shares them with the block that made them.
    """

    grad: bool = True
    scopes: dict[int, tuple[Any, Any]] | None = None
    scope_stack: tuple[Any, ...] = ()
    anomaly: Any = None


_MODES: ContextVar[Modes] = ContextVar("glassgrad_modes", default=Modes())  # noqa: B039 (immutable)

modes = _MODES.get
"""``modes()``: the :class:`Modes` of the running thread (what the ops read for every node)."""


@contextmanager
def changed_modes(**changes: Any) -> Iterator[Modes]:
    """Run the body with some modes changed in this thread only; then put back the modes it
    changed, and only those (blocks may end out of order, say when a generator that entered
    ``no_grad()`` is closed inside ``detect_anomaly()``)."""
    before = _MODES.get()
    new = before._replace(**changes)
    _MODES.set(new)
    try:
        yield new
    finally:
        _MODES.set(_MODES.get()._replace(**{name: getattr(before, name) for name in changes}))


def is_grad_enabled() -> bool:
    """Return True when operations (in this thread) record the graph for a backward pass."""
    return _MODES.get().grad


def no_grad() -> AbstractContextManager[Modes]:
    """Context manager under which operations record no graph (evaluation, parameter updates).

    It applies to the running thread only, as PyTorch's ``torch.no_grad``.

    >>> from autograd import Value, no_grad
    >>> a = Value(2.0)
    >>> with no_grad():
    ...     b = a * 3
    >>> b._prev
    ()
    """
    return changed_modes(grad=False)


def enable_grad() -> AbstractContextManager[Modes]:
    """Context manager that records the graph again inside a :func:`no_grad` block."""
    return changed_modes(grad=True)


def is_recording_scopes() -> bool:
    """True inside :func:`record_scopes` (in this thread): modules then enter their scope."""
    return _MODES.get().scopes is not None


@contextmanager
def scope(owner: Any) -> Iterator[None]:
    """Nodes created inside are attributed to ``owner`` (a module or a name) while recording.

    ``nn.Module.__call__`` enters the module's scope, so drawings can group a layer's nodes.
    """
    with changed_modes(scope_stack=_MODES.get().scope_stack + (owner,)):
        yield


@contextmanager
def record_scopes() -> Iterator[dict[int, tuple[Any, Any]]]:
    """Record, for every node created inside, the innermost :func:`scope` it was made in.

    >>> from autograd import Value
    >>> with record_scopes() as made_in:
    ...     with scope("neuron"):
    ...         y = Value(2.0) * 3
    >>> made_in[id(y)][1]
    'neuron'
    """
    with changed_modes(scopes={}) as new:
        yield new.scopes


def note_scope(node: Any, current: Modes) -> None:
    """Called by the ops for each new node while scopes are recorded (see :class:`Modes`)."""
    if current.scope_stack:
        current.scopes[id(node)] = (node, current.scope_stack[-1])
