"""In-place methods and version counters: a graph refuses backward() through a tensor that was
changed in place after the graph saved it, as PyTorch does."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value, no_grad


def test_inplace_methods_change_the_data_where_it_lies_and_count_versions() -> None:
    t = Tensor(np.arange(4.0))
    view = t.data[1:3]
    assert t.add_(1).sub_(np.ones(4), alpha=0.5).mul_(2).div_(Tensor([1.0, 1.0, 1.0, 2.0])) is t
    np.testing.assert_array_equal(t.data, [1.0, 3.0, 5.0, 3.5])
    np.testing.assert_array_equal(view, [3.0, 5.0])  # views see every change
    t.copy_([[9.0, 8.0, 7.0, 6.0]][0]).fill_(2.5)
    assert t.data.tolist() == [2.5] * 4 and t.zero_().data.tolist() == [0.0] * 4
    assert t._version == 7  # one per in-place method


def test_inplace_methods_check_shapes_dtypes_and_the_grad_mode() -> None:
    t = Tensor(np.zeros((2, 3)))
    t.add_(np.ones(3))  # broadcasts to the tensor's shape
    with pytest.raises(ValueError, match=r"add_: a value of shape \(2, 1, 3\) does not broadcast "
                                         r"to the tensor's shape \(2, 3\)"):
        t.add_(np.ones((2, 1, 3)))
    with pytest.raises(TypeError, match=r"copy_: Cannot cast .* \(the tensor's dtype is int64\)"):
        Tensor(np.zeros(2, np.int64)).copy_(np.array([0.5, 1.5]))
    w = Tensor(np.ones(2), requires_grad=True, label="w")
    with pytest.raises(RuntimeError, match="add_: 'w' requires a gradient, and an in-place "
                                           "change is not recorded in the graph; make updates "
                                           "under `with autograd.no_grad"):
        w.add_(1)
    assert w._version == 0 and w.data.tolist() == [1.0, 1.0]  # nothing changed
    with no_grad():
        w.add_(1)
    assert w._version == 1 and w.data.tolist() == [2.0, 2.0]
    assert t.requires_grad_() is t and t.requires_grad
    with pytest.raises(RuntimeError, match="requires_grad_: only leaves"):
        (w * 2).requires_grad_(False)
    with pytest.raises(TypeError, match="only floating-point tensors"):
        Tensor([1, 2]).requires_grad_()


def test_backward_through_a_tensor_changed_in_place_is_an_error_naming_it() -> None:
    w = Tensor(np.ones((2, 3)), requires_grad=True, label="layer.weight")
    x = Tensor(np.ones((4, 2)))
    loss = (x @ w).tanh().sum()
    with no_grad():
        w.sub_(np.full((2, 3), 0.1))
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    message = str(info.value)
    assert message.startswith("backward: 'layer.weight' of shape (2, 3), saved by matmul for "
                              "the backward pass, has been modified in place since (version 1 "
                              "now, 0 when the graph was built)")
    assert "Run the forward pass again" in message
    assert w.grad is None  # refused before any gradient was computed
    (x @ w).tanh().sum().backward()  # a new forward pass is fine
    assert w.grad.shape == (2, 3)


def test_a_data_input_or_an_output_changed_in_place_is_caught_too() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    x = Tensor(np.arange(3.0))  # data: the rule of mul reads it for w's gradient
    loss = (w * x).sum()
    x.add_(1)  # no gradient needed: allowed while recording
    with pytest.raises(RuntimeError, match="an unnamed tensor of shape \\(3,\\), saved by mul"):
        loss.backward()
    y = w.exp()  # exp's rule reads its own output
    with no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=r"saved by exp .*\(version 1 now, 0 when"):
        y.sum().backward()


def test_micrograd_style_updates_between_passes_keep_working() -> None:
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    v = Value(0.5)
    for _ in range(3):
        w.grad, v.grad = None, 0.0
        (w * w).sum().backward()
        (v * v).backward()
        w.data -= 0.1 * w.grad  # plain numpy on the data: not an in-place method
        v.data -= 0.1 * v.grad
    assert w._version == 0 and abs(v.data - 0.5 * 0.8 ** 3) < 1e-12
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.8 ** 3)


def test_tensors_sharing_memory_share_the_version_counter() -> None:
    w = Tensor(np.ones((2, 3)), requires_grad=True, label="w")
    loss = (w * w).sum()
    with no_grad():
        w[0].zero_()  # a row of w: a view, so a change of w (as in PyTorch)
    assert w._version == 1 and w.data[0].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="'w' of shape \\(2, 3\\), saved by mul"):
        loss.backward()
    for view in (w.detach(), w.reshape(6), w.T, w[:, 1:], Tensor(w)):
        before = w._version
        with no_grad():
            view.add_(0.0)
        assert w._version == before + 1 == view._version
    copy = w[np.array([0, 1])]  # integer arrays copy: a counter of its own
    with no_grad():
        copy.add_(1)
    assert copy._version == 1 and w._version == 6


def test_inplace_errors_name_the_method_and_the_dtype() -> None:
    with pytest.raises(OverflowError, match="add_: .* \\(the tensor's dtype is uint8\\)"):
        Tensor(np.array([1, 2], np.uint8)).add_(-1)
    frozen = np.ones(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="zero_: .*read-only"):
        Tensor(frozen).zero_()
