"""save_weights / load_weights: round trips, atomic writes, and all-or-nothing loading."""

from __future__ import annotations

import os
import random
import zipfile

import numpy as np
import pytest

from nn import MLP, Module, Parameter, load_weights, save_weights


def snapshot(model: Module) -> list:
    return [np.array(p.data, copy=True) for p in model.parameters()]


def same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.fixture
def tensor_model():
    class Net(Module):
        def __init__(self, seed: int) -> None:
            rng = np.random.default_rng(seed)
            self.weight = Parameter(rng.standard_normal((3, 2)).astype(np.float32))
            self.bias = Parameter(rng.standard_normal(2).astype(np.float32))
            self.head = MLP(2, [2, 1])

    return Net


def test_round_trip_scalar_model(tmp_path):
    random.seed(0)
    a = MLP(2, [4, 1])
    random.seed(1)
    b = MLP(2, [4, 1])
    path = tmp_path / "mlp.npz"
    save_weights(a, path)
    assert not same(snapshot(a), snapshot(b))
    b.load_weights(path)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert all(type(p.data) is float for p in b.parameters())
    with np.load(path, allow_pickle=False) as npz:  # readable without glassgrad
        assert npz["layers.0.weight"].shape == (4, 2)  # (nout, nin), as torch.nn.Linear
        assert npz["layers.1.bias"].shape == (1,)
        assert npz.files == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                             "layers.1.bias"]


def test_round_trip_array_parameters_in_place_keeping_dtype(tmp_path, tensor_model):
    a, b = tensor_model(0), tensor_model(1)
    buffer = b.weight.data
    path = str(tmp_path / "net.weights")  # any name: written exactly there
    a.save_weights(path)
    load_weights(b, path)
    assert same(snapshot(a), snapshot(b))
    assert b.weight.data is buffer and buffer.dtype == np.float32


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    model = MLP(2, [3, 1])
    path = tmp_path / "w.npz"
    save_weights(model, path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", broken)
    with pytest.raises(OSError, match="disk full"):
        save_weights(MLP(2, [3, 1]), path)
    assert path.read_bytes() == before  # the old file is intact
    assert os.listdir(tmp_path) == ["w.npz"]


def test_truncated_file_is_a_value_error_and_changes_nothing(tmp_path):
    model = MLP(2, [3, 1])
    path = tmp_path / "w.npz"
    save_weights(model, path)
    data = path.read_bytes()
    other = MLP(2, [3, 1])
    before = snapshot(other)
    for cut in (len(data) // 2, len(data) - 10, 3):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated|corrupt|not a readable"):
            load_weights(other, path)
        assert same(snapshot(other), before)


def test_corrupt_member_names_the_parameter(tmp_path):
    model = MLP(1, [1])
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("layers.0.weight.npy", b"\x93NUMPY garbage")
        zf.writestr("layers.0.bias.npy", b"")
    with pytest.raises(ValueError, match="layers.0.weight"):
        load_weights(model, path)


def test_missing_and_extra_names(tmp_path):
    small, big = MLP(2, [3, 1]), MLP(2, [3, 2])
    path = tmp_path / "w.npz"
    save_weights(small, path)
    before = snapshot(big)
    with pytest.raises(ValueError, match="shape mismatch: 'layers.1.weight' is \\(2, 3\\) in the "
                                         "model but \\(1, 3\\)"):
        load_weights(big, path)
    assert same(snapshot(big), before)
    save_weights(big, path)
    before = snapshot(small)
    with pytest.raises(ValueError, match="nothing was loaded"):
        load_weights(small, path)
    np.savez(path, **{"layers.0.weight": np.zeros((3, 2)), "extra": np.zeros(1)})
    with pytest.raises(ValueError) as error:
        load_weights(small, path)
    assert str(error.value).endswith(
        "\n  missing: 'layers.0.bias'; 'layers.1.weight'; 'layers.1.bias'"
        "\n  unexpected: 'extra'")
    assert same(snapshot(small), before)


def test_shape_mismatch_names_the_parameter_and_changes_nothing(tmp_path, tensor_model):
    a, b = tensor_model(0), tensor_model(1)
    a.bias = Parameter(np.zeros(3, dtype=np.float32))  # the array parameter differs in shape
    path = tmp_path / "w.npz"
    save_weights(a, path)
    before = snapshot(b)
    with pytest.raises(ValueError, match="'bias' is \\(2,\\) in the model but \\(3,\\) in "):
        load_weights(b, path)
    assert same(snapshot(b), before)  # 'weight', checked first, was not assigned either


def test_a_read_only_parameter_is_refused_before_anything_is_loaded(tmp_path, tensor_model):
    a, b = tensor_model(0), tensor_model(1)
    path = tmp_path / "w.npz"
    save_weights(a, path)
    b.bias.data.flags.writeable = False  # checked after 'weight', which must stay as it was
    before = snapshot(b)
    with pytest.raises(ValueError, match="'bias' is a read-only array in the model"):
        load_weights(b, path)
    assert same(snapshot(b), before)


def test_pickled_or_non_npz_files_are_refused(tmp_path):
    model = MLP(1, [1])
    path = tmp_path / "w.npz"
    np.savez(path, **{"layers.0.weight": np.array([[object()]], dtype=object),
                      "layers.0.bias": np.zeros(1)})
    with pytest.raises(ValueError, match="layers.0.weight"):
        load_weights(model, path)
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        load_weights(model, tmp_path / "one.npy")
    np.savez(path, **{"layers.0.weight": np.array([["text"]]),
                      "layers.0.bias": np.zeros(1)})
    with pytest.raises(ValueError, match="dtype"):
        load_weights(model, path)


def test_errors_for_wrong_arguments(tmp_path):
    with pytest.raises(TypeError, match="nn.Module"):
        save_weights([1.0], tmp_path / "x.npz")
    with pytest.raises(FileNotFoundError):
        load_weights(MLP(1, [1]), tmp_path / "absent.npz")


def test_saved_file_gets_the_permissions_of_a_normal_file(tmp_path):
    model = MLP(2, [3, 1])
    old = os.umask(0o022)
    try:
        save_weights(model, tmp_path / "w.npz")
        assert os.stat(tmp_path / "w.npz").st_mode & 0o777 == 0o644  # like np.savez
        os.chmod(tmp_path / "w.npz", 0o640)
        save_weights(model, tmp_path / "w.npz")  # overwriting keeps the file's permissions
        assert os.stat(tmp_path / "w.npz").st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_two_parameters_with_one_name_cannot_be_saved(tmp_path):
    from nn import Dense

    class Clash(Module):
        def __init__(self):
            self.heads = {0: Dense(2, 1), "0": Dense(2, 1)}

    with pytest.raises(ValueError, match="two entries of Clash are both named 'heads.0.weight'"):
        save_weights(Clash(), tmp_path / "w.npz")
    assert not list(tmp_path.iterdir())
