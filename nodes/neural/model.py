"""nn~-compatible TorchScript models: what a file offers, and whether it works.

What makes a model usable (docs/architecture.md, "nn~ / RAVE model files"): a TorchScript
file with a ``decode`` method taking ``(B, C, T)`` float latents and a
``decode_params`` buffer ``[in_channels, in_ratio, out_channels, out_ratio]``; nn~
asks nothing more. From these we read, in this order:

- ``latent_size`` = ``decode_params[0]`` (what nn~ feeds; v2's ``latent_size``
  attribute agrees, v1's ``latent_size`` buffer holds the *full* size instead);
- ``ratio`` = audio samples per latent frame = ``in_ratio / out_ratio`` (2048 for
  RAVE v2, 512 for v2_small);
- ``channels`` = ``decode_params[2]`` (2 for stereo exports);
- ``sr`` from the ``sr`` attribute, falling back to ``sampling_rate`` (RAVE v1, a
  tensor), int or tensor;
- ``full_latent_size``: the ``full_latent_size`` attribute (v2), else a v1
  ``latent_size`` buffer larger than ``decode_params[0]``, else ``latent_size``.
  ``decode`` fills channels between the two with noise when given fewer, so a
  deterministic host passes all ``full_latent_size`` channels itself.

Loading (:func:`load_model`) also *measures* what no attribute states reliably:

- **streaming**: does ``decode`` keep state between calls? Yes when cached-conv
  padding buffers (``pad``/``cache``, non-empty) exist (cached_conv keeps its state
  there; non-streaming RAVE exports carry empty ones), when a probe call changes any
  buffer, or when the same call (same input, same RNG seed) answers differently the
  second time (state kept in plain attributes). Streaming state cannot be reset
  (RAVE has no reset method), so the impulse goes to a second instance; the first,
  which only decoded zeros, is the one handed over to play;
- **delay**: an impulse in every latent channel at frame ``k`` → the first output
  sample that changes, minus ``k * ratio``. Runs use the same RNG seed, so a noise
  branch cancels out;
- **cost**: milliseconds per one-frame ``decode`` call, and the real-time factor
  (seconds of audio per second of compute).

Every failure is a :class:`ModelError` whose message names the file and the fix.
"""

from __future__ import annotations

import io
import math
import re
import statistics
import time
import warnings
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nodegraph.api import (DEFAULT_SAFETY_MS, HOLD_BACK_FRAMES, RENDER_HEADROOM, latency_floor,
                           regular_file, untrusted_active)
from nodegraph.api import shown as _shown

from . import sandbox
from .guard import MAX_SAMPLE

#: Latent frames decoded before the probe impulse (lets caches fill).
IMPULSE_FRAME = 4
#: Frames decoded after it: delays up to this many frames are measured.
DELAY_SPAN = 16
#: A sample "changes" when it differs by more than this fraction of the largest change.
CHANGE_FRACTION = 1e-3
PROBE_SEED = 0
#: Calls before timing a decode (the profiling executor specializes on the first two).
WARMUP_CALLS = 3
#: Bounds on what decode_params and sr may state: beyond them a file is not a
#: decoder we can play (and would make the probe allocate gigabytes).
MAX_LATENT = 4096
MAX_RATIO = 2**16
MAX_CHANNELS = 64
MIN_SR, MAX_SR = 1000, 768_000
#: Larger model files are refused unread (RAVE exports are tens of MiB).
MAX_MODEL_BYTES = 2 * 2**30
#: Buffer names cached_conv keeps streaming state in.
CACHE_BUFFERS = ("pad", "cache")


class ModelError(ValueError):
    """A model file that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class ModelInterface:
    """What a model file states about its ``decode`` method."""

    path: str
    latent_size: int
    full_latent_size: int
    ratio: int
    sr: int
    channels: int
    decode_params: tuple[int, int, int, int]
    methods: tuple[str, ...]

    @property
    def frame_seconds(self) -> float:
        """Duration of one latent frame."""
        return self.ratio / self.sr


@dataclass(frozen=True)
class ModelInfo(ModelInterface):
    """The interface plus what loading measured (see the module docstring)."""

    streaming: bool = False
    delay_samples: int | None = None
    #: decode accepts all full_latent_size channels (False: it wants latent_size)
    takes_full_latent: bool = True
    decode_ms_per_frame: float = 0.0
    decode_rtf: float = 0.0
    torch_version: str = ""

    def latency_floor(self, block: int, sr: int) -> dict[str, float]:
        """The least event → DAC latency this model can give through a device at
        ``sr`` Hz in blocks of ``block`` frames buffering two periods
        (:func:`nodegraph.audio.latency.latency_floor`): the wait for a latent frame
        and for a block render, the device, audio-out's default safety margin, the
        render headroom on the decodes of one block, the resampler's hold-back when
        the rates differ, and the model's delay. Milliseconds."""
        decodes = max(1, math.ceil(block * self.sr / (sr * self.ratio)))
        fixed_s = DEFAULT_SAFETY_MS / 1000 + RENDER_HEADROOM * decodes * \
            self.decode_ms_per_frame / 1000 + (self.delay_samples or 0) / self.sr
        if sr != self.sr:
            fixed_s += HOLD_BACK_FRAMES / sr
        return latency_floor(self.frame_seconds, block, sr, fixed_s)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["decode_params"] = list(self.decode_params)
        data["methods"] = list(self.methods)
        return data


@dataclass
class LoadedModel:
    """A measured model and an instance of it ready to decode (see :func:`load_model`)."""

    info: ModelInfo
    module: torch.jit.ScriptModule


# -- reading the file ------------------------------------------------------------------------


def model_file(name: str, base_dir: Path | None = None) -> Path:
    """The file a ``model`` param or argument names: ``default`` is the model shipped
    with nodegraph (``nodes/models/default.ts``); any other name is a path, ``~``
    expanded, relative to ``base_dir`` (the patch's folder; the working directory
    when None)."""
    if name == "default":
        from nodes.models import DEFAULT_MODEL_PATH

        return DEFAULT_MODEL_PATH
    path = Path(name).expanduser()
    return path if path.is_absolute() else (base_dir or Path.cwd()) / path


def read_model_file(path: Path) -> bytes:
    """The bytes of a model file, or ModelError for a missing/unreadable one."""
    try:
        regular_file(path, "model", MAX_MODEL_BYTES)
    except ValueError as exc:
        raise ModelError(str(exc)) from None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read: {exc}") from None


def script_module(data: bytes, path: Path) -> torch.jit.ScriptModule:
    """Load TorchScript from ``data`` on the CPU, turning torch's errors into advice."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelError(f"{path}: not a TorchScript file (not even a zip archive). Export "
                         "the model with `rave export` or torch.jit.script(model).save(path)")
    try:
        with warnings.catch_warnings():  # TorchScript is what nn~ files are; no news here
            warnings.filterwarnings("ignore", "`torch.jit.load` is deprecated")
            module = torch.jit.load(io.BytesIO(data), map_location="cpu")
    except Exception as exc:
        raise ModelError(_explain_load_error(path, data, exc)) from None
    module.eval()
    return module


def _explain_load_error(path: Path, data: bytes, exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    if not any(n.endswith("constants.pkl") for n in names) or \
            not any("/code/" in n for n in names):
        return (f"{path}: a PyTorch checkpoint (torch.save), not a TorchScript export; "
                "export it with `rave export` or torch.jit.script(model).save(path)")
    version = re.search(r"version (\d+), but the maximum supported version for reading is (\d+)",
                        text)
    if version:
        return (f"{path}: needs a newer PyTorch: it is TorchScript format version "
                f"{version[1]}, and torch {torch.__version__} reads up to version {version[2]}. "
                "Upgrade torch, or export the model with this torch version")
    if "Unknown builtin op" in text or "Unknown type name" in text:
        return (f"{path}: uses operators torch {torch.__version__} does not have ({text}); "
                "it needs a newer torch (or a compiled extension). Upgrade torch, or export "
                "the model with this torch version")
    return f"{path}: cannot load as TorchScript ({type(exc).__name__}: {text})"


# -- the interface -------------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    """A whole number from an attribute (int, float or tensor); None for anything
    else, a fraction, NaN or infinity."""
    if isinstance(value, torch.Tensor):
        if not value.numel() or value.dtype == torch.bool:
            return None
        value = value.reshape(-1)[0].item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value)


def _attribute(module: torch.jit.ScriptModule, name: str) -> Any:
    try:
        return getattr(module, name)
    except (AttributeError, RuntimeError):
        return None


def interface_of(module: torch.jit.ScriptModule, path: Path) -> ModelInterface:
    """Read the interface (see the module docstring); ModelError when it is unusable."""
    methods = tuple(module._c._method_names())
    if "decode" not in methods:
        raise ModelError(f"{path}: has no decode method (methods: {', '.join(methods) or 'none'}); "
                         "rave-decode needs an nn~-compatible export with decode(z)")
    methods = _nn_methods(module, methods)
    raw = _attribute(module, "decode_params")
    if isinstance(raw, torch.Tensor):
        raw = raw.reshape(-1).tolist()
    params = tuple(_as_int(v) for v in raw) if isinstance(raw, (list, tuple)) else ()
    if len(params) != 4 or not all(v is not None and v > 0 for v in params):
        raise ModelError(f"{path}: no usable decode_params buffer (found {_shown(raw)}); an "
                         "nn~ export registers decode_params = [latent_size, ratio, channels, 1] "
                         "(positive whole numbers)")
    latent_size, in_ratio, channels, out_ratio = params
    for name, value, most in (("latent size", latent_size, MAX_LATENT),
                              ("ratio", in_ratio, MAX_RATIO), ("channels", channels, MAX_CHANNELS)):
        if value > most:
            raise ModelError(f"{path}: decode_params state a {name} of {value}, more than "
                             f"rave-decode takes ({most}); is this an nn~ decoder?")
    if in_ratio % out_ratio:
        raise ModelError(f"{path}: decode_params {list(params)} give a fractional ratio "
                         f"({in_ratio}/{out_ratio}); rave-decode needs whole audio samples "
                         "per latent frame")
    sr = _as_int(_attribute(module, "sr")) or _as_int(_attribute(module, "sampling_rate"))
    if not sr or sr <= 0:
        raise ModelError(f"{path}: states no sample rate (no 'sr' or 'sampling_rate' "
                         "attribute holding a whole number of Hz); re-export it with its rate")
    if not MIN_SR <= sr <= MAX_SR:
        raise ModelError(f"{path}: states a sample rate of {sr} Hz; rave-decode plays "
                         f"models at {MIN_SR} to {MAX_SR} Hz")
    full = _as_int(_attribute(module, "full_latent_size"))
    if full is None:
        v1_size = _as_int(_attribute(module, "latent_size"))
        full = v1_size if v1_size is not None and v1_size > latent_size else latent_size
    if full > MAX_LATENT:
        raise ModelError(f"{path}: full_latent_size {full} is more than rave-decode takes "
                         f"({MAX_LATENT})")
    if full < latent_size:
        raise ModelError(f"{path}: full_latent_size {full} is smaller than its latent size "
                         f"{latent_size} (decode_params[0])")
    return ModelInterface(str(path), latent_size, full, in_ratio // out_ratio, sr, channels,
                          params, methods)


def _nn_methods(module: torch.jit.ScriptModule, methods: tuple[str, ...]) -> tuple[str, ...]:
    """The methods nn~ would offer: ``get_methods()`` if the model has it, else
    those with a ``<method>_params`` buffer (nn~'s own rule)."""
    if "get_methods" in methods:
        try:
            return tuple(module.get_methods())
        except Exception:  # a broken get_methods: fall back like nn~ does
            pass
    return tuple(m for m in methods if _attribute(module, f"{m}_params") is not None)


_interfaces: dict[tuple[str, int, int], ModelInterface] = {}


def inspect_model(path: Path) -> ModelInterface | None:
    """The interface of the model at ``path``, cached per file version (path,
    mtime, size), so the patch checker can ask on every edit. While model files are
    untrusted (``nodegraph check``, :mod:`.sandbox`) it is read in a sandboxed child
    process, and None means it could not be read safely (no sandbox here)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        stat = None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size) if stat else None
    if key is not None and key in _interfaces:
        return _interfaces[key]
    if untrusted_active():
        try:
            regular_file(path, "model", MAX_MODEL_BYTES)
        except ValueError as exc:
            raise ModelError(str(exc)) from None
        fields = sandbox.read_interface(path)
        if fields is None:
            return None
        interface = ModelInterface(**{**fields, "decode_params": tuple(fields["decode_params"]),
                                      "methods": tuple(fields["methods"])})
    else:
        interface = interface_of(script_module(read_model_file(path), path), path)
    if key is not None:
        _interfaces[key] = interface
    return interface


# -- probing -------------------------------------------------------------------------------------


def decode(module: torch.jit.ScriptModule, z: np.ndarray) -> np.ndarray:
    """``module.decode`` of latents ``z`` (channels, frames) → audio (channels, samples).

    Always in inference mode (the probe ran so, and RAVE's cached convolutions update
    their buffers in place, which only inference mode may do to the buffers it made).
    A caller decoding many frames in a row enters it once around them: entering it
    per call costs a small model several µs a call (bench/decode.py)."""
    z = torch.from_numpy(np.ascontiguousarray(z, np.float32))[None]
    if torch.is_inference_mode_enabled():
        return module.decode(z)[0].numpy()
    with torch.inference_mode():
        return module.decode(z)[0].numpy()


def _checked_decode(module: torch.jit.ScriptModule, interface: ModelInterface,
                    z: np.ndarray) -> np.ndarray:
    path = interface.path
    try:
        with torch.inference_mode():
            out = module.decode(torch.from_numpy(z)[None])
    except Exception as exc:
        first = str(exc).strip().splitlines()
        raise ModelError(f"{path}: decode failed on latents of shape (1, {z.shape[0]}, "
                         f"{z.shape[1]}): {first[-1] if first else type(exc).__name__}") from None
    expected = (1, interface.channels, z.shape[1] * interface.ratio)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ModelError(f"{path}: decode returned {got} for latents (1, {z.shape[0]}, "
                         f"{z.shape[1]}), expected {expected} from decode_params "
                         f"{list(interface.decode_params)} (batch, channels, frames * ratio)")
    if out.dtype != torch.float32:
        raise ModelError(f"{path}: decode returned {out.dtype}, expected float32 audio")
    peak = float(out.abs().max()) if out.numel() else 0.0
    if not (peak <= MAX_SAMPLE):  # NaN too
        found = "NaN or infinite samples" if not math.isfinite(peak) else f"samples of {peak:.3g}"
        raise ModelError(f"{path}: decode returned {found} for latents (1, {z.shape[0]}, "
                         f"{z.shape[1]}) (full scale is 1); the model is broken")
    return out[0].numpy()


def _buffers(module: torch.jit.ScriptModule) -> dict[str, torch.Tensor]:
    with torch.inference_mode():
        return {name: b.clone() for name, b in module.named_buffers()}


def _has_cache_buffers(module: torch.jit.ScriptModule) -> bool:
    return any(name.rsplit(".", 1)[-1] in CACHE_BUFFERS and b.numel() > 0
               for name, b in module.named_buffers())


def _changed(before: dict[str, torch.Tensor], module: torch.jit.ScriptModule) -> bool:
    with torch.inference_mode():
        after = dict(module.named_buffers())
        return any(name not in after or after[name].shape != b.shape
                   or not torch.equal(after[name], b) for name, b in before.items())


def _delay(outputs: tuple[np.ndarray, np.ndarray], ratio: int) -> int | None:
    difference = np.abs(outputs[0] - outputs[1]).max(axis=0)
    peak = float(difference.max())
    if peak == 0.0:
        return None
    first = int(np.argmax(difference > peak * CHANGE_FRACTION))
    return max(0, first - IMPULSE_FRAME * ratio)


def _cost_ms(module: torch.jit.ScriptModule, width: int, repeats: int = 5) -> float:
    z = np.zeros((width, 1), np.float32)
    for _ in range(WARMUP_CALLS):  # TorchScript optimizes a method on its first calls
        decode(module, z)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        decode(module, z)
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def load_model(path: str | Path, threads: int = 1) -> LoadedModel:
    """Load, check and measure the model at ``path``. The returned module has only
    ever decoded zero latents (streaming: its state is that of a model that played
    silence-like input for ``IMPULSE_FRAME + DELAY_SPAN`` frames; the probe's impulse
    went to another instance). ``threads``: torch intra-op threads."""
    path = Path(path)
    torch.set_num_threads(threads)
    data = read_model_file(path)
    module = script_module(data, path)
    interface = interface_of(module, path)
    frames = IMPULSE_FRAME + DELAY_SPAN
    width = interface.full_latent_size
    cached = _has_cache_buffers(module)
    before = _buffers(module)
    torch.manual_seed(PROBE_SEED)
    try:
        reference = _checked_decode(module, interface, np.zeros((width, frames), np.float32))
    except ModelError:
        if width == interface.latent_size:
            raise
        # it will not take all full_latent_size channels: feed latent_size, let it fill
        width = interface.latent_size
        module = script_module(data, path)  # the failed call may have left half a state
        before = _buffers(module)
        torch.manual_seed(PROBE_SEED)
        reference = _checked_decode(module, interface, np.zeros((width, frames), np.float32))
    streaming = cached or _changed(before, module)
    if not streaming:  # state kept outside buffers answers the same call differently
        torch.manual_seed(PROBE_SEED)
        repeat = _checked_decode(module, interface, np.zeros((width, frames), np.float32))
        streaming = not np.array_equal(reference, repeat)
    other = script_module(data, path) if streaming else module
    impulse = np.zeros((width, frames), np.float32)
    impulse[:interface.latent_size, IMPULSE_FRAME] = 1.0
    torch.manual_seed(PROBE_SEED)
    delay = _delay((reference, _checked_decode(other, interface, impulse)), interface.ratio)
    try:
        cost = _cost_ms(other, width)
    except Exception as exc:
        first = str(exc).strip().splitlines()
        raise ModelError(f"{path}: decode failed when timed: "
                         f"{first[-1] if first else type(exc).__name__}") from None
    info = ModelInfo(**asdict(interface), streaming=streaming, delay_samples=delay,
                     takes_full_latent=width == interface.full_latent_size,
                     decode_ms_per_frame=round(cost, 3),
                     decode_rtf=round(1000.0 * interface.frame_seconds / cost, 2) if cost else 0.0,
                     torch_version=torch.__version__)
    return LoadedModel(info, module)
