"""Regression algorithms: fitted with scikit-learn on the training thread, run with numpy.

``fit(settings, x, y, job, previous)`` trains one of :data:`ALGORITHMS` and returns a
:class:`Regressor`. A regressor is immutable, predicts with plain numpy (about 10 µs for one
vector: the control path never calls scikit-learn) and is safe to use from any thread.
Each saves itself as one file, never a pickle:

==========  ============  ================================================================
algorithm   file          what
==========  ============  ================================================================
mlp         ``mlp.json``  FluCoMa MLP JSON (raw inputs → raw outputs: scaling folded in)
knn         ``knn.npz``   the examples and k
linear      ``linear.json``  input scaling, coefficients, intercept (a degree-1 poly)
poly        ``poly.json``    input scaling, monomial powers, coefficients, intercept
==========  ============  ================================================================

Design choices (see docs/iml.md):

- **Joint MLP** (one network for all outputs), default 2 × 16 tanh units, L-BFGS, as
  scikit-learn advises for small datasets; inputs and outputs are standardised for
  training and the scaling folded into the saved layers. No input dimension is scaled
  by less than the median dimension's deviation, so one held still while recording
  cannot swing the mapping when it moves in performance (measured: 5–10× less swing than
  plain standardisation); inputs in mixed units therefore want a normalize node
  upstream. Training runs in chunks of iterations (about 0.1 s each, sized from the
  number of examples and weights, never from timing, so the same examples always train
  to the same network) so it reports progress and stops promptly on cancel;
  ``previous`` continues training a network of the same shape (FluCoMa's behaviour on
  each ``fit``).
- **KNN** regression, distance-weighted (1/d): reproduces recorded anchors exactly
  (docs/architecture.md); distances in the input space as it arrives (normalize upstream).
- **linear / poly**: ridge regression (``alpha``) on monomials of the inputs, scaled as
  for the MLP.
"""

from __future__ import annotations

import functools
import math
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from nodegraph.api import atomic_write_json, atomic_write_npz, read_npz

from . import flucoma
from .mlp import ACTIVATIONS, IDENTITY, SKLEARN_ACTIVATION, Layer, Network, forward, \
    inverse_rescale, rescale
from .scalers import guard

ALGORITHMS = ("mlp", "knn", "linear", "poly")
SOLVERS = ("lbfgs", "adam", "sgd")

#: Seconds of work per training chunk: the cancel latency and the progress rate.
CHUNK_S = 0.1
#: What one MLP iteration costs, measured here (scikit-learn, one BLAS thread): a fixed
#: part plus a part per example and weight. Chunks are sized from this estimate, not
#: from timing, because each chunk restarts L-BFGS: timed chunks made the same examples
#: train to different networks on a busy machine.
ITERATION_S = 1.5e-4
EXAMPLE_WEIGHTS_PER_S = 1.5e9
#: Most polynomial features a poly regressor may have (memory and time stay bounded).
MAX_POLY_FEATURES = 20_000
#: Queries per block when KNN predicts many points: about this many floats at once.
_KNN_BLOCK_FLOATS = 1_000_000


class Cancelled(Exception):
    """Raised inside a fit when the user cancelled it."""


class Diverged(Exception):
    """Raised inside a fit when the loss or the weights stopped being finite."""


class Job(Protocol):
    """What a fit sees of its training run (see :mod:`.training`)."""

    def step(self, progress: float, loss: float) -> None:
        """Report progress (0..1) and loss; raises Cancelled or Diverged."""


@dataclass(frozen=True)
class Settings:
    """The training params of a regress node (docs in ``nodes/regress.py``)."""

    algorithm: str = "mlp"
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    solver: str = "lbfgs"
    learning_rate: float = 0.001
    max_iter: int = 1000
    alpha: float = 1e-4
    k: int = 3
    degree: int = 2
    seed: int = 0


class Regressor(ABC):
    """A trained regression: immutable, numpy only, usable from any thread."""

    algorithm: ClassVar[str]
    file_name: ClassVar[str]

    @property
    @abstractmethod
    def n_inputs(self) -> int: ...

    @property
    @abstractmethod
    def n_outputs(self) -> int: ...

    @abstractmethod
    def _predict(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write this regressor's file into ``folder`` (atomically)."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs (n, n_outputs) float64 for inputs (n, n_inputs)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            got = x.shape[-1] if x.ndim else 1
            raise ValueError(f"the {self.algorithm} regressor was trained on {self.n_inputs} "
                             f"inputs, got {got}; train again for this input")
        return self._predict(x)


# -- MLP ------------------------------------------------------------------------------------

class MLPRegressor(Regressor):
    algorithm = "mlp"
    file_name = "mlp.json"

    def __init__(self, layers: Network) -> None:
        self.layers = tuple(layers)

    @property
    def n_inputs(self) -> int:
        return self.layers[0].weights.shape[0]

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].weights.shape[1]

    def _predict(self, x: np.ndarray) -> np.ndarray:
        return forward(self.layers, x)

    def save(self, folder: Path) -> None:
        atomic_write_json(folder / self.file_name, flucoma.mlp_to_json(self.layers))

    @classmethod
    def load(cls, path: Path) -> MLPRegressor:
        return cls(flucoma.mlp_from_json(flucoma.read_json_file(path), str(path)))

    def shape(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Layer sizes and activations: what a warm start must match."""
        sizes = (self.n_inputs,) + tuple(layer.weights.shape[1] for layer in self.layers)
        return sizes, tuple(layer.activation for layer in self.layers)


def _input_scaling(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and floored deviation of each input dimension (see the module docstring):
    no dimension is scaled up beyond the median dimension's deviation."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    moving = std[std > 0]
    floor = float(np.median(moving)) if moving.size else 1.0
    scale, _ = guard(np.maximum(std, floor), mean)
    return mean, scale


def _output_scaling(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = y.mean(axis=0)
    scale, _ = guard(y.std(axis=0), mean)
    return mean, scale


def _scaled_mse(predicted: np.ndarray, y: np.ndarray, y_scale: np.ndarray) -> float:
    """Mean squared error in standardised output units (comparable across datasets)."""
    return float(np.mean(((predicted - y) / y_scale) ** 2))


def fit_mlp(s: Settings, x: np.ndarray, y: np.ndarray, job: Job,
            previous: Regressor | None) -> MLPRegressor:
    from sklearn import neural_network
    from sklearn.exceptions import ConvergenceWarning

    # Training runs in chunks of iterations, so every chunk "fails to converge" by design.
    warnings.filterwarnings("ignore", category=ConvergenceWarning,
                            module=r"sklearn\.neural_network")
    x_shift, x_scale = _input_scaling(x)
    y_shift, y_scale = _output_scaling(y)
    u, v = (x - x_shift) / x_scale, (y - y_shift) / y_scale
    code = ACTIVATIONS[s.activation]
    est = neural_network.MLPRegressor(
        hidden_layer_sizes=s.hidden, activation=SKLEARN_ACTIVATION[code], solver=s.solver,
        alpha=s.alpha, learning_rate_init=s.learning_rate, max_iter=1, warm_start=True,
        random_state=s.seed, batch_size=min(200, len(x)), tol=1e-7, n_iter_no_change=20)
    wanted = ((x.shape[1], *s.hidden, y.shape[1]), (code,) * len(s.hidden) + (IDENTITY,))
    warm = isinstance(previous, MLPRegressor) and previous.shape() == wanted

    def layers() -> Network:
        acts = [code] * len(s.hidden) + [IDENTITY]
        return tuple(Layer(w.astype(np.float64), b.astype(np.float64), a)
                     for w, b, a in zip(est.coefs_, est.intercepts_, acts))

    target = v[:, 0] if v.shape[1] == 1 else v  # one output: the 1-D y scikit-learn wants

    def run(iterations: int) -> int:
        est.max_iter = iterations
        try:
            est.fit(u, target)
        except ValueError:
            if not all(np.isfinite(w).all() for w in est.coefs_ + est.intercepts_):
                raise Diverged("the weights became NaN or infinite") from None
            raise
        return est.n_iter_

    done = run(1)  # allocates the network (scikit-learn has no other way)
    if warm:
        done = 0
        start = inverse_rescale(previous.layers, x_shift, x_scale, y_shift, y_scale)
        est.coefs_ = [layer.weights.copy() for layer in start]
        est.intercepts_ = [layer.biases.copy() for layer in start]
    def loss() -> float:
        return float(np.mean((forward(layers(), u) - v) ** 2))

    weights = sum(w.size + b.size for w, b in zip(est.coefs_, est.intercepts_))
    chunk = max(1, min(10_000, int(CHUNK_S / (ITERATION_S + len(x) * weights
                                              / EXAMPLE_WEIGHTS_PER_S))))
    while done < s.max_iter:
        iterations = min(chunk, s.max_iter - done)
        ran = run(iterations)
        done += iterations
        if ran < iterations:  # converged (L-BFGS gradient tolerance, or no improvement)
            break
        job.step(done / s.max_iter, loss())
    job.step(1.0, loss())
    return MLPRegressor(rescale(layers(), x_shift, x_scale, y_shift, y_scale))


# -- KNN ------------------------------------------------------------------------------------

class KNNRegressor(Regressor):
    algorithm = "knn"
    file_name = "knn.npz"

    def __init__(self, x: np.ndarray, y: np.ndarray, k: int) -> None:
        self.x = np.array(x, dtype=np.float64)
        self.y = np.array(y, dtype=np.float64)
        self.k = int(k)

    @property
    def n_inputs(self) -> int:
        return self.x.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.y.shape[1]

    def _predict(self, q: np.ndarray) -> np.ndarray:
        n = len(self.x)
        k = min(self.k, n)
        out = np.empty((len(q), self.n_outputs))
        block = max(1, _KNN_BLOCK_FLOATS // (n * self.n_inputs))
        for start in range(0, len(q), block):
            diff = q[start:start + block, None, :] - self.x[None, :, :]
            dist = np.sqrt(np.einsum("qnd,qnd->qn", diff, diff))
            near = np.argpartition(dist, k - 1, axis=1)[:, :k] if k < n else \
                np.broadcast_to(np.arange(n), dist.shape)
            d = np.take_along_axis(dist, near, axis=1)
            exact = d == 0.0
            with np.errstate(divide="ignore"):
                w = np.where(exact.any(axis=1, keepdims=True), exact, 1.0 / d)
            out[start:start + block] = np.einsum("qk,qkd->qd", w, self.y[near]) / \
                w.sum(axis=1, keepdims=True)
        return out

    def save(self, folder: Path) -> None:
        atomic_write_npz(folder / self.file_name, x=self.x, y=self.y, k=np.array(self.k))

    @classmethod
    def load(cls, path: Path) -> KNNRegressor:
        data = read_npz(path)
        missing = [key for key in ("x", "y", "k") if key not in data]
        if missing or data["x"].ndim != 2 or data["y"].ndim != 2 \
                or len(data["x"]) != len(data["y"]) or len(data["x"]) == 0:
            raise flucoma.FormatError(f"{path}: expected arrays x (n, inputs), y (n, outputs) "
                                      "and k, with n ≥ 1")
        return cls(data["x"], data["y"], int(data["k"]))


def fit_knn(s: Settings, x: np.ndarray, y: np.ndarray, job: Job,
            previous: Regressor | None) -> KNNRegressor:
    regressor = KNNRegressor(x, y, s.k)
    rows = _spread_rows(len(x))  # 0 unless examples share an input
    job.step(1.0, _scaled_mse(regressor.predict(x[rows]), y[rows], _output_scaling(y)[1]))
    return regressor


def _spread_rows(n: int, most: int = 256) -> np.ndarray:
    """Up to ``most`` row indices spread over ``n`` rows: checks that stay cheap."""
    return np.unique(np.linspace(0, n - 1, min(n, most)).astype(np.intp))


# -- linear and polynomial --------------------------------------------------------------------

class PolyRegressor(Regressor):
    """Ridge regression on monomials (given by ``powers``) of the standardised inputs."""

    algorithm = "poly"
    file_name = "poly.json"

    def __init__(self, degree: int, x_shift: np.ndarray, x_scale: np.ndarray,
                 powers: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.degree = degree
        self.x_shift, self.x_scale = x_shift, x_scale
        self.powers = np.asarray(powers, dtype=np.int64)
        self.coef, self.intercept = coef, intercept  # (features, outputs), (outputs,)

    @property
    def n_inputs(self) -> int:
        return self.x_shift.shape[0]

    @property
    def n_outputs(self) -> int:
        return self.intercept.shape[0]

    def _predict(self, x: np.ndarray) -> np.ndarray:
        u = (x - self.x_shift) / self.x_scale
        features = np.prod(u[:, None, :] ** self.powers[None, :, :], axis=2)
        return features @ self.coef + self.intercept

    def save(self, folder: Path) -> None:
        atomic_write_json(folder / self.file_name, {
            "degree": self.degree, "x_shift": self.x_shift.tolist(),
            "x_scale": self.x_scale.tolist(), "powers": self.powers.tolist(),
            "coef": self.coef.tolist(), "intercept": self.intercept.tolist()})

    @classmethod
    def load(cls, path: Path) -> PolyRegressor:
        obj = flucoma.read_json_file(path)
        where = str(path)
        degree = flucoma.integer(obj, "degree", where)
        shift = flucoma.numbers(flucoma.field(obj, "x_shift", where), None, f"{where}: x_shift")
        n = shift.shape[0]
        scale = flucoma.vector_field(obj, "x_scale", n, where)
        intercept = flucoma.numbers(flucoma.field(obj, "intercept", where), None,
                                    f"{where}: intercept")
        powers = _matrix(flucoma.field(obj, "powers", where), n, f"{where}: powers")
        coef = _matrix(flucoma.field(obj, "coef", where), intercept.shape[0], f"{where}: coef")
        if len(powers) != len(coef):
            raise flucoma.FormatError(f"{where}: {len(powers)} powers but {len(coef)} coef rows")
        return cls(degree, shift, scale, powers, coef, intercept)


class LinearRegressor(PolyRegressor):
    """A degree-1 poly regressor, saved under its own name."""

    algorithm = "linear"
    file_name = "linear.json"


def _matrix(value: Any, cols: int, where: str) -> np.ndarray:
    if not isinstance(value, list):
        raise flucoma.FormatError(f"{where}: expected a list of rows")
    rows = [flucoma.numbers(row, cols, f"{where} row {i}") for i, row in enumerate(value)]
    return np.array(rows, dtype=np.float64).reshape(len(rows), cols)


def fit_poly(s: Settings, x: np.ndarray, y: np.ndarray, job: Job,
             previous: Regressor | None) -> PolyRegressor:
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import PolynomialFeatures

    degree = 1 if s.algorithm == "linear" else s.degree
    n_features = math.comb(x.shape[1] + degree, degree) - 1
    if n_features > MAX_POLY_FEATURES:
        raise ValueError(f"a degree-{degree} polynomial of {x.shape[1]} inputs has "
                         f"{n_features} terms (at most {MAX_POLY_FEATURES}); lower the degree")
    x_shift, x_scale = _input_scaling(x)
    u = (x - x_shift) / x_scale
    expand = PolynomialFeatures(degree, include_bias=False).fit(u)
    ridge = Ridge(alpha=s.alpha).fit(expand.transform(u), y)
    cls = LinearRegressor if s.algorithm == "linear" else PolyRegressor
    outputs = y.shape[1]  # scikit-learn drops the output axis of a one-output fit
    regressor = cls(degree, x_shift, x_scale, expand.powers_,
                    np.reshape(ridge.coef_, (outputs, -1)).T.copy(),
                    np.reshape(np.asarray(ridge.intercept_, dtype=np.float64), outputs))
    job.step(1.0, _scaled_mse(regressor.predict(x), y, _output_scaling(y)[1]))
    return regressor


# -- entry points ------------------------------------------------------------------------------

REGRESSORS: dict[str, type[Regressor]] = {
    cls.algorithm: cls for cls in (MLPRegressor, KNNRegressor, LinearRegressor, PolyRegressor)}
_FITS: dict[str, Callable[..., Regressor]] = {"mlp": fit_mlp, "knn": fit_knn,
                                              "linear": fit_poly, "poly": fit_poly}


def fit(settings: Settings, x: np.ndarray, y: np.ndarray, job: Job,
        previous: Regressor | None = None) -> Regressor:
    """Train ``settings.algorithm`` on ``x`` (n, d_in) → ``y`` (n, d_out), n ≥ 1.

    ``previous``: a regressor to continue from (MLP of the same shape only; otherwise the
    fit starts fresh). Runs on the caller's thread; checks that the result predicts
    finite values on (up to 256 of) the training inputs (raises Diverged otherwise)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) == 0:
        raise ValueError("no examples to train on; record some first")
    single_threaded_blas()
    regressor = _FITS[settings.algorithm](settings, x, y, job, previous)
    if not np.isfinite(regressor.predict(x[_spread_rows(len(x))])).all():
        raise Diverged("the trained regressor predicts NaN or infinity")
    return regressor


@functools.cache
def single_threaded_blas() -> None:
    """Limit OpenBLAS to one thread, for the whole process, from the first fit on.

    Measured on these 2-core machines: with OpenBLAS's default 2 threads (spinning while
    another thread holds the other core) L-BFGS steps of scikit-learn's MLP ran 40–100×
    slower and starved the control thread. The control path's matrices are too small
    for BLAS threads to help. Set once (it costs ~4 ms), never restored: a context
    manager would race between two nodes training at once. The libraries load first, or
    the limit would miss them.
    """
    import scipy.optimize  # noqa: F401  (loads scipy's OpenBLAS)
    import sklearn.neural_network  # noqa: F401
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def warm_up() -> None:
    """Load scikit-learn and set the BLAS limit on a thread of normal priority now, so
    that the first ``train`` does not: measured, importing it took 0.9 s of a first
    KNN train of 200 examples on an idle machine (``bench/first_train.py``), several
    seconds under load at the training thread's nice +10. Returns at once."""
    threading.Thread(target=single_threaded_blas, name="iml-warm-up", daemon=True).start()


def load_regressor(folder: Path, prefer: str) -> Regressor | None:
    """The regressor saved in ``folder`` (the ``prefer`` algorithm's file first), or None."""
    for algorithm in (prefer, *ALGORITHMS):
        path = folder / REGRESSORS[algorithm].file_name
        if path.exists():
            return REGRESSORS[algorithm].load(path)
    return None


def remove_other_regressors(folder: Path, keep: Regressor | None) -> None:
    """Delete regressor files in ``folder`` other than ``keep``'s (one trained regressor
    at a time)."""
    for cls in REGRESSORS.values():
        if keep is None or cls.file_name != keep.file_name:
            (folder / cls.file_name).unlink(missing_ok=True)
