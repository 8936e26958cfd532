"""Points from sound: a model's latent trajectory of an audio file, and its most distinct
frames as candidate points for the latent explorer.

A model is an nn~-compatible TorchScript file (REFERENCE.md, "RAVE / nn~ model files"):
``encode(x (B, in_channels, T)) -> (B, latent, T / ratio)`` with a buffer
``encode_params = [in_channels, 1, latent, ratio]``, and a sample rate in ``sr`` (RAVE
v2) or ``sampling_rate`` (v1, sometimes a tensor). The latent size the decoder takes
comes from ``decode_params[0]``, else the ``latent_size`` attribute.

:func:`load_encoder` is the only place this package loads a model: switch it to the
shared loader (``nodes/neural``) when that lands. Loading and encoding take a while:
callers run them off the control thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Latent frames encoded per call (bounds memory for long files).
FRAMES_PER_CALL = 256


@dataclass(frozen=True)
class EncoderInfo:
    sample_rate: int
    in_channels: int
    ratio: int
    #: channels ``encode`` returns
    encoded_size: int
    #: channels ``decode`` takes (what the explorer outputs)
    latent_size: int


class Encoder:
    """A loaded TorchScript model used for its ``encode`` method (one thread at a time)."""

    def __init__(self, module: Any, path: Path) -> None:
        self.module = module
        self.path = path
        self.info = _probe(module, path)

    def encode_file(self, audio: Path) -> np.ndarray:
        """The latent trajectory (frames, encoded_size) of an audio file, float64."""
        import torch

        if not hasattr(self.module, "encode"):
            raise ValueError(f"{self.path}: the model has no encode method, so it cannot "
                             "turn sound into latent points")
        x = read_audio(audio, self.info.sample_rate, self.info.in_channels)
        ratio = self.info.ratio
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
        if z.shape[1] != self.info.encoded_size:
            raise ValueError(f"{self.path}: encode returned {z.shape[1]} channels, "
                             f"encode_params says {self.info.encoded_size}")
        return z


def model_path(value: str, resolve: Any) -> Path:
    """The file a ``model`` param names: ``default`` is the project's shipped model."""
    if value == "default":
        try:
            from nodes.models import DEFAULT_MODEL_PATH
        except ImportError:
            raise FileNotFoundError("model 'default': the default model is not installed "
                                    "(nodes/models); give a TorchScript file instead") from None
        return Path(DEFAULT_MODEL_PATH)
    return resolve(value)


def load_encoder(path: Path) -> Encoder:
    """Load a TorchScript model on the CPU (TorchScript's own loader: no Python pickle)."""
    import torch

    if not path.is_file():
        raise FileNotFoundError(f"model file {path} not found")
    return Encoder(torch.jit.load(str(path), map_location="cpu"), path)


def _probe(module: Any, path: Path) -> EncoderInfo:
    def buffer(name: str) -> list[int] | None:
        value = getattr(module, name, None)
        return None if value is None else [int(v) for v in value.tolist()]

    encode = buffer("encode_params")
    decode = buffer("decode_params")
    rate = getattr(module, "sr", None)
    if rate is None:
        rate = getattr(module, "sampling_rate", None)
    if hasattr(rate, "item"):
        rate = rate.item()
    if encode is None or len(encode) != 4 or rate is None:
        raise ValueError(f"{path}: expected an nn~-compatible model with an encode_params "
                         "buffer [in_channels, 1, latent, ratio] and an sr attribute")
    latent = decode[0] if decode else getattr(module, "latent_size", encode[2])
    return EncoderInfo(sample_rate=int(rate), in_channels=encode[0], ratio=encode[3],
                       encoded_size=encode[2], latent_size=int(latent))


def read_audio(path: Path, sample_rate: int, channels: int) -> np.ndarray:
    """Audio as float32 (channels, samples) at ``sample_rate``: mixed down or repeated to
    ``channels``, resampled with soxr."""
    import soundfile
    import soxr

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
