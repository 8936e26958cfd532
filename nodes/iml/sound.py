"""Points from sound: a model's latent trajectory of an audio file, and its most distinct
frames as candidate points for the latent explorer.

A model is an nn~-compatible TorchScript file (docs/architecture.md, "nn~ / RAVE model files"),
loaded by the shared loader (:mod:`nodes.neural.model`: its interface, the latent size
the decoder takes, and its errors). Encoding needs ``encode(x (B, in_channels, T)) ->
(B, latent, T / ratio)`` and a buffer ``encode_params = [in_channels, 1, latent, ratio]``;
a model without them still gives the explorer its latent size. Loading and encoding
take a while: callers run them off the control thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # nodes.neural.model imports torch: only when a model is loaded
    from nodes.neural.model import ModelInterface

#: Latent frames encoded per call (bounds memory for long files).
FRAMES_PER_CALL = 256


class Encoder:
    """A loaded TorchScript model used for its ``encode`` method (one thread at a time:
    a scripted module is not thread-safe, so the explorer keeps its own instance)."""

    def __init__(self, module: Any, info: ModelInterface) -> None:
        self.module = module
        self.info = info

    def encode_file(self, audio: Path) -> np.ndarray:
        """The latent trajectory (frames, latent channels encoded) of an audio file,
        float64."""
        import torch

        in_channels, ratio, encoded_size = self._encode_params()
        x = read_audio(audio, self.info.sr, in_channels)
        frames = -(-x.shape[1] // ratio)
        if frames == 0:
            raise ValueError(f"{audio}: no audio to encode")
        x = np.pad(x, ((0, 0), (0, frames * ratio - x.shape[1])))
        step = FRAMES_PER_CALL * ratio
        out = []
        with torch.inference_mode():
            for start in range(0, x.shape[1], step):
                chunk = torch.from_numpy(np.ascontiguousarray(x[None, :, start:start + step]))
                out.append(self.module.encode(chunk)[0].numpy())
        z = np.concatenate(out, axis=1).T.astype(np.float64)
        if z.shape[1] != encoded_size:
            raise ValueError(f"{self.info.path}: encode returned {z.shape[1]} channels, "
                             f"encode_params says {encoded_size}")
        return z

    def _encode_params(self) -> tuple[int, int, int]:
        """``in_channels, ratio, latent channels`` from the ``encode_params`` buffer."""
        from nodes.neural.model import ModelError

        path = self.info.path
        if not hasattr(self.module, "encode"):
            raise ModelError(f"{path}: the model has no encode method, so it cannot turn "
                             "sound into latent points")
        value = getattr(self.module, "encode_params", None)
        params = [int(v) for v in value.tolist()] if hasattr(value, "tolist") else []
        if len(params) != 4 or min(params) <= 0:
            raise ModelError(f"{path}: no usable encode_params buffer (found {value!r}); an "
                             "nn~ export registers encode_params = [in_channels, 1, latent, "
                             "ratio]")
        return params[0], params[3], params[2]


def load_encoder(path: Path) -> Encoder:
    """Load a model file on the CPU with the shared loader (TorchScript's own loader, no
    Python pickle). Raises ModelError naming the file and the fix."""
    from nodes.neural.model import interface_of, read_model_file, script_module

    module = script_module(read_model_file(path), path)
    return Encoder(module, interface_of(module, path))


def read_audio(path: Path, sample_rate: int, channels: int) -> np.ndarray:
    """Audio as float32 (channels, samples) at ``sample_rate``: mixed down or repeated to
    ``channels``, resampled with soxr."""
    import soundfile
    import soxr

    from nodes.dsp.clip import check_audio_file

    check_audio_file(path)
    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    if data.shape[1] != channels:
        data = np.repeat(data.mean(axis=1, keepdims=True), channels, axis=1)
    if rate != sample_rate and len(data):
        data = soxr.resample(data, rate, sample_rate)
    return np.ascontiguousarray(data.T, dtype=np.float32)


def distinct_frames(z: np.ndarray, k: int) -> np.ndarray:
    """Indices (time order) of up to ``k`` mutually most distant frames of ``z``
    (frames, dims): farthest-point sampling from the frame farthest from the mean.
    Stops early when the rest repeat chosen frames."""
    if len(z) == 0:
        return np.zeros(0, dtype=np.intp)
    chosen = [int(np.argmax(np.linalg.norm(z - z.mean(axis=0), axis=1)))]
    distance = np.linalg.norm(z - z[chosen[0]], axis=1)
    while len(chosen) < min(k, len(z)):
        far = int(np.argmax(distance))
        if distance[far] == 0.0:
            break
        chosen.append(far)
        distance = np.minimum(distance, np.linalg.norm(z - z[far], axis=1))
    return np.array(sorted(chosen), dtype=np.intp)
