"""Every demo runs with --quick and writes the pictures it promises (checked by their bytes)."""

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PNG, GIF = b"\x89PNG\r\n\x1a\n", b"GIF8"

# demo -> files it must write under --out (directories end with "/")
EXPECTED = {
    "fit_function.py": ["fit_line.png", "fit_line.gif", "fit_quadratic.png", "fit_mlp.png"],
    "single_neuron.py": ["neuron_forward.svg", "neuron_backward.svg", "neuron_backward.png",
                         "neuron_frames/", "neuron_player.html"],
    "backprop_vs_numeric.py": ["backprop_vs_numeric.png"],
    "sgd.py": ["sgd_vs_gd.png", "sgd_learning_rates.png", "sgd_saddle.png"],
    "learn_2d.py": ["learn_2d_curves.png", "learn_2d_heatmaps.png"],
    "moons.py": ["moons.png", "moons_player.html"],
    "lstm_series.py": ["lstm_series.png", "lstm_series_rmse.png"],
    "autoencoder.py": ["autoencoder.png", "autoencoder_denoise.png", "autoencoder_curves.png"],
    "newton.py": ["newton_1d.png", "newton_rosenbrock.png", "tanh_derivatives.png"],
    "tour.py": ["index.html", "neuron_player.html", "fit_line.png", "fit_line.gif",
                "sgd_saddle.png", "learn_2d_heatmaps.png", "moons_player.html"],
    "vae.py": ["vae_latent.png", "vae_manifold.png", "vae_losses.png"],
    "gan.py": ["gan_ring.png", "gan_samples.png", "gan_samples.gif"],
}
MNIST = ROOT.parent / "shared" / "data" / "mnist"


QUICK_RUNS: dict[str, tuple[str, Path]] = {}  # demo -> (output, folder) of its --quick run


def quick_run(name: str, tmp_path_factory) -> tuple[str, Path]:
    """The demo's --quick run, made once per session (its output and pictures are checked by
    more than one test)."""
    if name not in QUICK_RUNS:
        out = tmp_path_factory.mktemp(name.removesuffix(".py"))
        QUICK_RUNS[name] = run_demo(name, out), out
    return QUICK_RUNS[name]


def run_demo(name: str, out: Path, *extra: str) -> str:
    # one BLAS thread: the --quick runs' matrices are small; on a busy machine two threads made
    # them several times slower (the numbers they print are the same)
    env = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, str(ROOT / "demos" / name), "--quick", "--out", str(out), *extra]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def check_file(path: Path) -> None:
    assert path.exists(), f"missing {path}"
    if path.is_dir():
        files = sorted(path.iterdir())
        assert len(files) >= 2, f"{path} has {len(files)} files"
        for f in files:
            check_file(f)
        return
    data = path.read_bytes()
    assert len(data) > 200, f"{path} is only {len(data)} bytes"
    if path.suffix == ".png":
        assert data.startswith(PNG)
    elif path.suffix == ".gif":
        assert data.startswith(GIF)
    elif path.suffix == ".svg":
        assert b"<svg" in data[:2000] and b"</svg>" in data[-200:]
    elif path.suffix == ".html":
        assert data.lstrip().lower().startswith(b"<!doctype html")
        assert b"<svg" in data or b"<img" in data


def timeline(page: Path) -> dict:
    """The timeline a player page carries (its nodes, boxes and steps), read from its JSON."""
    found = re.search(r'<script type="application/json" id="timeline">(.*?)</script>',
                      page.read_text(encoding="utf-8"), re.S)
    assert found, f"{page} holds no timeline"
    return json.loads(found[1])


def check_mnist_player(page: Path) -> None:
    """The MNIST CNN's player: the model's parameters by their state_dict names, its 11 layers
    as boxes (the dropout layers' too: they drop in training mode), a forward and a backward
    pass."""
    check_file(page)
    line = timeline(page)
    names = {node["name"] for node in line["nodes"]}
    assert {"0.weight", "0.bias", "2.weight", "7.weight", "10.bias", "x", "L"} <= names, names
    assert {box["name"] for box in line["boxes"]} == {str(k) for k in range(11)}
    assert {step["phase"] for step in line["steps"]} == {"forward", "backward"}


def test_every_demo_is_listed():
    demos = {p.name for p in (ROOT / "demos").glob("*.py") if not p.name.startswith("_")}
    assert demos <= set(EXPECTED) | {"mnist_cnn.py", "graduate.py"}, sorted(demos - set(EXPECTED))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_demo_quick_run(name, tmp_path_factory):
    output, out = quick_run(name, tmp_path_factory)
    assert output.strip()
    for item in EXPECTED[name]:
        check_file(out / item.rstrip("/"))


def test_single_neuron_numbers(tmp_path):
    output = run_demo("single_neuron.py", tmp_path)
    assert "z = w . x + b = 0.88;  o = sigma(z) = 0.71" in output
    assert "dL/dw3 = -0.1215" in output


def test_backprop_agrees_with_central_differences(tmp_path):
    output = run_demo("backprop_vs_numeric.py", tmp_path)
    rows = [line.split() for line in output.splitlines()[1:] if line.strip()[:1].isdigit()]
    assert len(rows) == 4
    assert all(float(row[-1]) < 1e-6 for row in rows)


def import_demo(name: str, monkeypatch):
    """A demo imported as a module (demos import ``_common`` from their own folder)."""
    monkeypatch.syspath_prepend(str(ROOT / "demos"))
    return importlib.import_module(name)


def test_newton_1d_converges_quadratically(monkeypatch):
    newton = import_demo("newton", monkeypatch)
    path = newton.newton_1d(2.5, tol=1e-12)
    root = path[-1]
    assert len(path) - 1 <= 8
    assert abs(root ** 3 + root - 1) < 1e-12                       # f'(x*) = x^3 + x - 1 = 0
    assert len(newton.descent_1d(2.5, lr=0.1, tol=1e-12)) > 5 * len(path)
    _, slope, curvature = newton.derivatives(2.0)                  # grad of grad, on Values
    assert (slope, curvature) == pytest.approx((2.0 ** 3 + 2.0 - 1, 3 * 2.0 ** 2 + 1))


def test_newton_2d_reaches_the_rosenbrock_minimum(monkeypatch):
    newton = import_demo("newton", monkeypatch)
    path = newton.newton_2d((-1.2, 1.0))
    assert len(path) - 1 <= 10
    assert path[-1] == pytest.approx([1.0, 1.0], abs=1e-10)


def test_tanh_derivatives_match_closed_forms(monkeypatch):
    newton = import_demo("newton", monkeypatch)
    x = np.linspace(-4, 4, 101)
    curves = newton.tanh_derivatives(x, order=4)
    assert len(curves) == 5
    for got, want in zip(curves, newton.tanh_closed_forms(x)):
        assert np.max(np.abs(got - want)) < 1e-10


def test_lstm_series_windows_and_the_way_back(monkeypatch):
    """The embedded airline series is R's AirPassengers; a window's target is the value after it;
    the true standardized change turns back into the true passenger count."""
    lesson = import_demo("lstm_series", monkeypatch)
    assert len(lesson.AIRLINE) == 144 and lesson.AIRLINE.sum() == 40363
    series = lesson.airline()
    x, y, t = series.windows(0, len(series.values))
    assert x.shape == (144 - 13, 12, 1) and t[0] == 13
    np.testing.assert_allclose(x[5, :, 0], series.z[t[5] - 12:t[5]], rtol=1e-6)
    np.testing.assert_allclose(series.back(series.z[t], t), lesson.AIRLINE[t], rtol=1e-9)
    assert abs(series.z[1:series.test_start].mean()) < 1e-9  # standardized on training months


def test_autoencoder_shapes_and_noise(monkeypatch):
    lesson = import_demo("autoencoder", monkeypatch)
    for side in (12, 28):
        model = lesson.conv_autoencoder()
        assert model(np.zeros((2, 1, side, side), np.float32)).shape == (2, 1, side, side)
    x = np.random.default_rng(0).uniform(size=(50, 1, 12, 12)).astype(np.float32)
    noisy = lesson.add_noise(x, np.random.default_rng(1))
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, x)


def test_tour_gallery_links_every_file(tmp_path):
    """Without the MNIST files the tour plays the moons MLP and says how to make the MNIST
    player, linking no file it did not make."""
    output = run_demo("tour.py", tmp_path, "--data", str(tmp_path / "nowhere"))
    page = (tmp_path / "index.html").read_text()
    for name in ("neuron_backward.png", "neuron_player.html", "fit_mlp.png", "learn_2d_curves.png",
                 "moons_player.html"):
        assert f'href="{name}"' in page
        check_file(tmp_path / name)
    assert "Whole networks, played" in page
    assert not (tmp_path / "mnist_cnn_player.html").exists()
    assert "mnist_cnn_player.html" not in page
    assert "<code>python demos/mnist_cnn.py --data DIR</code>" in page
    assert "no MNIST files in" in output


@pytest.mark.skipif(not MNIST.exists(), reason="the MNIST files are not beside the repository")
def test_tour_plays_mnist_when_the_files_are_there(tmp_path):
    run_demo("tour.py", tmp_path, "--data", str(MNIST))
    page = (tmp_path / "index.html").read_text()
    assert 'href="mnist_cnn_player.html"' in page and "mnist_cnn.py --data DIR" not in page
    check_mnist_player(tmp_path / "mnist_cnn_player.html")


@pytest.mark.skipif(not MNIST.exists(), reason="the MNIST files are not beside the repository")
def test_mnist_demo_quick(tmp_path):
    output = run_demo("mnist_cnn.py", tmp_path, "--data", str(MNIST))
    assert "Total params: 1,199,882" in output and "test accuracy" in output
    for name in ("mnist_curves.png", "mnist_confusion.png", "mnist_kernels.png",
                 "mnist_misclassified.png"):
        check_file(tmp_path / name)
    check_mnist_player(tmp_path / "mnist_cnn_player.html")
    assert f"wrote {tmp_path / 'mnist_cnn_player.html'}: one training step on 8 digits" in output


def test_mnist_player_without_mnist(monkeypatch, tmp_path):
    """The lesson's player, on 8 random images: written without the MNIST files; the model's
    mode (evaluation here) and its gradients are left as they were."""
    lesson = import_demo("mnist_cnn", monkeypatch)
    model = lesson.build_model().eval()
    images = np.random.default_rng(0).normal(size=(8, 1, 28, 28)).astype(np.float32)
    page = lesson.save_player(model, images, np.arange(8), tmp_path / "player.html")
    check_mnist_player(page)
    assert not model.training and all(p.grad is None for p in model.parameters())


PLAY_ALL = """<script>
var errors = [], seen = [];
window.addEventListener('error', function (e) { errors.push(String(e.message)); });
window.glassgrad.setAll(false);
for (var i = 0; i < 100 && window.glassgrad.step < 1000; i++) {
  var node = document.querySelector('g.node.current:not([id$="_op"])');
  seen.push([window.glassgrad.step, node ? node.id : '',
             document.querySelectorAll('g.node image').length]);
  var before = window.glassgrad.step;
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight'}));
  if (window.glassgrad.step === before) { break; }
}
var out = document.createElement('pre'); out.id = 'log';
out.textContent = JSON.stringify({errors: errors, seen: seen});
document.body.appendChild(out);
</script></body>"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium is not installed")
def test_mnist_player_plays_in_chromium(monkeypatch, tmp_path):
    """The lesson's page in a browser: every step of both passes, every box open, a current
    node at each step after the first, and heat maps in the Tensor nodes."""
    lesson = import_demo("mnist_cnn", monkeypatch)
    images = np.random.default_rng(0).normal(size=(8, 1, 28, 28)).astype(np.float32)
    page = lesson.save_player(lesson.build_model(), images, np.arange(8), tmp_path / "p.html")
    driven = tmp_path / "driven.html"
    driven.write_text(page.read_text().replace("</body>", PLAY_ALL))
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", driven.as_uri()],
        capture_output=True, text=True, timeout=120).stdout
    log = json.loads(re.search(r'<pre id="log">(.*?)</pre>', dom, re.S).group(1))
    steps = len(timeline(page)["steps"])
    assert log["errors"] == [] and [s[0] for s in log["seen"]] == list(range(steps))
    assert all(node for _, node, _ in log["seen"][1:])  # a current node at every step
    assert log["seen"][0][2] >= 2 * 10  # feature maps, kernels, weights: data and grad each


def test_graduate_hands_over_to_ddp_and_back(tmp_path):
    """The graduation lesson: glassgrad -> to_torch -> DDP on 2 gloo processes -> from_torch.
    The first DDP step equals one full-batch step; the model that comes back is the one PyTorch
    trained (same predictions), and training on in PyTorch did not undo glassgrad's."""
    pytest.importorskip("torch")
    output = run_demo("graduate.py", tmp_path)
    check_file(tmp_path / "graduate_loss.png")
    assert "DistributedDataParallel (DDP) on 2 processes" in output and "gloo" in output
    gaps = re.search(r"gradients differ by at\s+most (\S+), the weights after the Adam step "
                     r"by (\S+):", " ".join(output.split()))
    assert gaps and float(gaps[1]) < 1e-5 and float(gaps[2]) < 1e-5, output
    accuracy = re.search(r"Test accuracy: ([\d.]+)% in glassgrad \(nn.evaluate\), ([\d.]+)% in "
                         r"PyTorch; the two agree on (\d+) of (\d+) predictions. Before the "
                         r"hand-over: ([\d.]+)%", " ".join(output.split()))
    assert accuracy, output
    ours, theirs, same, total, before = map(float, accuracy.groups())
    assert ours == theirs and same == total
    assert before > 50 and ours >= before - 2  # 6 classes: chance is 17%


def test_mnist_demo_says_what_is_missing(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    command = [sys.executable, str(ROOT / "demos" / "mnist_cnn.py"), "--quick", "--out",
               str(tmp_path), "--data", str(tmp_path / "nowhere")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0
    assert "train-images-idx3-ubyte.gz" in done.stderr and "--download" in done.stderr


def test_notebook_runs_in_a_kernel():
    """demos/see_it.ipynb, executed by nbclient in a Python kernel as Jupyter would (an error in
    any cell fails the test); the drawings it displays are SVG."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(ROOT / "demos" / "see_it.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "demos")}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback
    shown = [output for cell in notebook.cells if cell.cell_type == "code"
             for output in cell.get("outputs", []) if "image/svg+xml" in output.get("data", {})]
    assert len(shown) >= 3
    assert all("<svg" in output["data"]["image/svg+xml"] for output in shown)


def test_vae_learns_on_strokes(tmp_path_factory):
    """The quick VAE prints both terms every epoch; the loss they add up to falls, the
    reconstruction most, and the KL stays a few nats (the latent is used, not ignored)."""
    output, _ = quick_run("vae.py", tmp_path_factory)
    rows = [[float(v) for v in line.split()] for line in output.splitlines()
            if re.fullmatch(r"\s*\d+(\s+[\d.]+){4}", line)]
    assert len(rows) == 40, output
    first, last = rows[0], rows[-1]
    assert last[1] < 0.7 * first[1] and last[3] < 0.7 * first[3]  # reconstruction, loss
    assert 1.0 < last[2] < 10.0                                     # KL, nats per image
    test = re.search(r"test set \(z = mu\): reconstruction ([\d.]+), KL ([\d.]+)", output)
    assert test and float(test[1]) < 0.7 * first[1]


def test_vae_kl_matches_the_closed_form(monkeypatch):
    """KL(N(mu, sigma^2) || N(0, 1)) = log(1 / sigma) + (sigma^2 + mu^2) / 2 - 1/2 per latent
    dimension, in numpy; its gradients mu and (sigma^2 - 1) / 2 (per logvar); and a Monte
    Carlo estimate, the mean of log q(z) - log p(z) over samples z ~ q."""
    vae = import_demo("vae", monkeypatch)
    from autograd import Tensor

    rng = np.random.default_rng(0)
    mu_np, logvar_np = rng.normal(size=(7, 2)), rng.normal(scale=0.8, size=(7, 2))
    mu, logvar = Tensor(mu_np, requires_grad=True), Tensor(logvar_np, requires_grad=True)
    kl = vae.kl_divergence(mu, logvar)
    sigma = np.exp(logvar_np / 2)
    closed = (np.log(1 / sigma) + (sigma ** 2 + mu_np ** 2) / 2 - 0.5).sum(axis=1).mean()
    assert kl.item() == pytest.approx(closed, rel=1e-12)
    kl.backward()
    assert np.allclose(mu.grad, mu_np / 7, rtol=1e-12)
    assert np.allclose(logvar.grad, (sigma ** 2 - 1) / 2 / 7, rtol=1e-12)
    z = mu_np + sigma * rng.standard_normal((200_000, 7, 2))
    log_ratio = (-np.log(sigma) - (z - mu_np) ** 2 / (2 * sigma ** 2) + z ** 2 / 2).sum(axis=2)
    estimate = log_ratio.mean(axis=1)
    assert estimate.mean() == pytest.approx(closed, abs=4 * estimate.std() / np.sqrt(len(z)))


def test_gan_ring_covers_the_modes(tmp_path_factory):
    """With the fixed seeds, the quick GAN's last samples sit on at least 4 of the 8 Gaussians
    (a mode counts when 1% of the samples lie within 3 deviations of its centre)."""
    output, _ = quick_run("gan.py", tmp_path_factory)
    steps = re.findall(r"step\s+(\d+): (\d) of 8 modes covered, (\d+)% of the samples", output)
    assert steps and steps[-1][0] == "1500", output
    assert int(steps[-1][1]) >= 4 and int(steps[-1][2]) >= 30
    assert int(steps[0][1]) == 0  # before training: none


def test_gan_gradient_penalty_option(tmp_path):
    output = run_demo("gan.py", tmp_path, "--gp", "--steps", "40", "--epochs", "2")
    assert "5 of D per step" in output and "critic" in output
    for name in ("gan_ring_gp.png", "gan_samples_gp.png", "gan_samples_gp.gif"):
        check_file(tmp_path / name)


def test_gan_gradient_penalty_matches_finite_differences(monkeypatch):
    """The penalty lambda * mean (||grad_x D(x_hat)||_2 - 1)^2 of a tiny leaky-ReLU critic in
    float64: grad_x D against its closed form W1^T (w2 * leaky'(W1 x + b1)); the gradient of the
    penalty with respect to every critic parameter (through grad(..., create_graph=True))
    against central finite differences."""
    gan = import_demo("gan", monkeypatch)
    from nn import Parameter

    critic = gan.mlp([3, 5, 1], gan.leaky_relu, seed=3)
    for layer in critic:
        for name in ("weight", "bias"):
            if hasattr(layer, name):
                setattr(layer, name, Parameter(getattr(layer, name).data.astype(np.float64)))
                getattr(layer, name).data += 0.1  # biases too: no zero pre-activations
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    alpha = rng.uniform(size=(6, 1))
    penalty = gan.gradient_penalty(critic, real, fake, alpha, weight=10.0)

    w1, b1 = critic[0].weight.data, critic[0].bias.data
    w2 = critic[2].weight.data[0]
    x_hat = alpha * real + (1 - alpha) * fake
    pre = x_hat @ w1.T + b1
    slopes = (w2 * np.where(pre > 0, 1.0, gan.SLOPE)) @ w1          # (batch, 3)
    norms = np.linalg.norm(slopes, axis=1)
    assert penalty.item() == pytest.approx(10 * np.mean((norms - 1) ** 2), rel=1e-10)

    penalty.backward()
    eps = 1e-6
    for name, param in critic.named_parameters():
        numeric = np.zeros_like(param.data)
        for i in np.ndindex(param.shape):
            old = param.data[i]
            param.data[i] = old + eps
            up = gan.gradient_penalty(critic, real, fake, alpha).item()
            param.data[i] = old - eps
            down = gan.gradient_penalty(critic, real, fake, alpha).item()
            param.data[i] = old
            numeric[i] = (up - down) / (2 * eps)
        got = np.zeros_like(param.data) if param.grad is None else param.grad
        assert np.allclose(got, numeric, rtol=1e-6, atol=1e-8), (name, got, numeric)
    assert np.abs(critic[0].weight.grad).max() > 1e-3  # the penalty reaches the first layer
    assert critic[2].bias.grad is None  # D's last bias does not change its slope
