"""A trained multilayer perceptron as plain numpy: the forward pass of the control path.

A network is a tuple of :class:`Layer`. Each layer computes ``act(x @ weights + biases)``
with ``weights`` of shape (inputs, outputs), exactly as FluCoMa's MLP stores and runs it
(docs/architecture.md, "Interactive ML conventions": activation 0 identity, 1 sigmoid, 2 relu,
3 tanh), so a network saved here loads in FluCoMa and the other way round.

Training happens on scaled data (:mod:`.algorithms`); :func:`rescale` folds that scaling
into the first and last layers, so a saved network maps raw inputs to raw outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

IDENTITY, SIGMOID, RELU, TANH = range(4)

#: Activation names as the regress node's ``activation`` param spells them → FluCoMa code.
ACTIVATIONS = {"identity": IDENTITY, "sigmoid": SIGMOID, "relu": RELU, "tanh": TANH}

#: FluCoMa code → scikit-learn's name for the same function.
SKLEARN_ACTIVATION = {IDENTITY: "identity", SIGMOID: "logistic", RELU: "relu", TANH: "tanh"}


@dataclass(frozen=True, eq=False)
class Layer:
    """One dense layer: ``weights`` (inputs, outputs) and ``biases`` (outputs,), float64."""

    weights: np.ndarray
    biases: np.ndarray
    activation: int

    def __post_init__(self) -> None:
        if self.weights.ndim != 2 or self.biases.shape != (self.weights.shape[1],):
            raise ValueError(f"layer weights {self.weights.shape} and biases "
                             f"{self.biases.shape} do not fit together")
        if self.activation not in SKLEARN_ACTIVATION:
            raise ValueError(f"activation must be 0..3 (identity, sigmoid, relu, tanh), "
                             f"got {self.activation}")


Network = tuple[Layer, ...]


def forward(layers: Sequence[Layer], x: np.ndarray) -> np.ndarray:
    """Outputs (n, outputs) for inputs ``x`` (n, inputs). Pure: safe from any thread."""
    h = x
    for layer in layers:
        h = h @ layer.weights + layer.biases
        if layer.activation == TANH:
            h = np.tanh(h)
        elif layer.activation == RELU:
            h = np.maximum(h, 0.0)
        elif layer.activation == SIGMOID:
            h = 0.5 * (1.0 + np.tanh(0.5 * h))  # = 1/(1+exp(-h)), without overflow
    return h


def rescale(layers: Sequence[Layer], x_shift: np.ndarray, x_scale: np.ndarray,
            y_shift: np.ndarray, y_scale: np.ndarray) -> Network:
    """The network ``x ↦ f((x - x_shift) / x_scale) * y_scale + y_shift`` as plain layers.

    Folds an input scaling into the first layer and an output scaling into the last,
    which must have the identity activation (the outputs are scaled after it). The
    inverse of a rescale is a rescale with ``(-shift / scale, 1 / scale)``.
    """
    layers = list(layers)
    if layers[-1].activation != IDENTITY:
        raise ValueError("the last layer must be linear (identity) to rescale outputs")
    first = layers[0]
    w = first.weights / x_scale[:, None]
    layers[0] = Layer(w, first.biases - x_shift @ w, first.activation)
    last = layers[-1]
    layers[-1] = Layer(last.weights * y_scale[None, :], last.biases * y_scale + y_shift,
                       IDENTITY)
    return tuple(layers)


def inverse_rescale(layers: Sequence[Layer], x_shift: np.ndarray, x_scale: np.ndarray,
                    y_shift: np.ndarray, y_scale: np.ndarray) -> Network:
    """Undo :func:`rescale` with the same arguments (raw network → scaled space)."""
    return rescale(layers, -x_shift / x_scale, 1.0 / x_scale, -y_shift / y_scale, 1.0 / y_scale)
