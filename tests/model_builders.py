"""Small nn~-compatible TorchScript models that the tests build and save themselves.

Each is a real ``torch.jit.script`` export with the parts of a RAVE file that the
loader reads (``decode``, ``decode_params``, ``sr`` or ``sampling_rate``,
``full_latent_size``...), small enough to decode thousands of frames a second:

- :class:`SineStreaming`: streaming, with state in buffers like cached_conv's: an
  oscillator phase, and a delay line in a ``cache.pad`` buffer (the model's delay).
  Latent 0 is the amplitude, latent 1 the pitch in octaves above ``hz``.
- :class:`ConvNonStreaming`: a non-streaming conv decoder (zero padding at the edges
  of every call, like RAVE's default export): an envelope, latent 0 smoothed by a
  Hann kernel, times a cosine with a whole number of cycles per latent frame (so the
  model is shift-equivariant by frames, as a conv net is). ``padding="causal"``
  puts all the padding before the audio, ``"centered"`` splits it.
- :class:`CachedConvStreaming`: streaming, a stack of causal convolutions whose
  history lives in ``pad`` buffers (cached_conv's way), upsampling by ``factors``
  and emitting ``bands`` samples per step, so ``ratio = prod(factors) * bands``. Its
  cost is set by its widths: ``small-r128`` and ``small-r256`` take a few hundred µs
  per frame (like the default model), ``rave-v2-sized`` (ratio 2048, 1024 channels
  at the latent rate) milliseconds (like a RAVE v2 streaming export). The audio is
  a squashed mix of the stack's last layer: good for timing, not for listening.
- :class:`V1Style`: RAVE v1 naming: a ``sampling_rate`` tensor buffer, a
  ``latent_size`` buffer holding the full size; missing channels padded with zeros.

Run as a script to save one: ``python tests/model_builders.py KIND OUT.ts``.
"""

from __future__ import annotations

import argparse
import io
import math
import warnings
import zipfile
from pathlib import Path

import torch
from torch import Tensor, nn


class Cache(nn.Module):
    """A cached-conv style delay line: state in a buffer named ``pad``."""

    def __init__(self, channels: int, delay: int) -> None:
        super().__init__()
        self.delay = delay
        self.register_buffer("pad", torch.zeros(1, channels, delay))

    def forward(self, x: Tensor) -> Tensor:
        if self.delay == 0:
            return x
        joined = torch.cat([self.pad, x], -1)
        self.pad = joined[..., joined.shape[-1] - self.delay:]
        return joined[..., :x.shape[-1]]


class SineStreaming(nn.Module):
    """Streaming oscillator; see the module docstring."""

    def __init__(self, sr: int = 44100, ratio: int = 2048, latent: int = 4,
                 full_latent: int | None = None, channels: int = 1, hz: float = 440.0,
                 delay: int = 0) -> None:
        super().__init__()
        self.sr = sr
        self.latent_size = latent
        self.full_latent_size = full_latent or latent
        self.ratio = ratio
        self.hz = hz
        self.channels = channels
        self.register_buffer("decode_params", torch.tensor([latent, ratio, channels, 1]))
        self.register_buffer("phase", torch.zeros(1, dtype=torch.float64))
        self.cache = Cache(channels, delay)

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        amp = z[:, 0:1, :].repeat_interleave(self.ratio, -1)
        hz = self.hz * torch.pow(2.0, z[:, 1:2, :]).repeat_interleave(self.ratio, -1)
        step = (2.0 * math.pi / self.sr) * hz.to(torch.float64)
        phase = self.phase + torch.cumsum(step, -1)
        self.phase = torch.remainder(phase[0, 0, -1:], 2.0 * math.pi)
        out = (amp * torch.sin(phase - step).to(torch.float32))
        out = torch.cat([out * (1.0 - 0.25 * c) for c in range(self.channels)], 1)
        return self.cache(out)


class CachedConv(nn.Module):
    """A causal convolution that continues its input across calls: the last
    ``(kernel - 1) * dilation`` input steps are kept in a buffer named ``pad``."""

    def __init__(self, into: int, out: int, kernel: int = 3, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv1d(into, out, kernel, dilation=dilation)
        self.keep = (kernel - 1) * dilation
        self.register_buffer("pad", torch.zeros(1, into, self.keep))

    def forward(self, x: Tensor) -> Tensor:
        joined = torch.cat([self.pad, x], -1)
        self.pad = joined[..., joined.shape[-1] - self.keep:]
        return self.conv(joined)


class Stage(nn.Module):
    """Upsample by ``factor`` (repeat), a cached conv, then residual cached convs."""

    def __init__(self, into: int, out: int, factor: int, residuals: int) -> None:
        super().__init__()
        self.factor = factor
        self.conv = CachedConv(into, out)
        self.residuals = nn.ModuleList([CachedConv(out, out, 3, 3 ** (i + 1))
                                        for i in range(residuals)])

    def forward(self, x: Tensor) -> Tensor:
        if self.factor > 1:
            x = x.repeat_interleave(self.factor, -1)
        x = nn.functional.leaky_relu(self.conv(x), 0.2)
        for residual in self.residuals:
            x = x + residual(nn.functional.leaky_relu(x, 0.2))
        return x


class CachedConvStreaming(nn.Module):
    """Streaming cached-conv decoder; see the module docstring."""

    def __init__(self, sr: int = 44100, ratio: int = 256, latent: int = 8,
                 full_latent: int | None = None, widths: tuple[int, ...] = (64,),
                 factors: tuple[int, ...] = (), residuals: int = 2) -> None:
        super().__init__()
        steps = math.prod(factors)
        if ratio % steps or len(widths) != len(factors) + 1:
            raise ValueError("ratio must be a multiple of prod(factors), with one width more "
                             "than factors")
        self.sr = sr
        self.latent_size = latent
        self.full_latent_size = full_latent or latent
        self.bands = ratio // steps
        self.register_buffer("decode_params", torch.tensor([latent, ratio, 1, 1]))
        self.head = CachedConv(self.full_latent_size, widths[0])
        self.stages = nn.ModuleList([Stage(widths[i], widths[i + 1], f, residuals)
                                     for i, f in enumerate(factors)])
        self.first = Stage(widths[0], widths[0], 1, residuals)
        self.tail = CachedConv(widths[-1], self.bands)

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        x = self.first(self.head(z))
        for stage in self.stages:
            x = stage(x)
        bands = torch.tanh(self.tail(x))  # (1, bands, steps): band b is sample b of a step
        return bands.transpose(1, 2).reshape(z.shape[0], 1, -1)


class ConvNonStreaming(nn.Module):
    """Non-streaming conv decoder; see the module docstring."""

    def __init__(self, sr: int = 44100, ratio: int = 2048, latent: int = 4,
                 padding: str = "causal", cycles_per_frame: int = 20) -> None:
        super().__init__()
        self.sr = sr
        self.latent_size = latent
        self.full_latent_size = latent
        self.ratio = ratio
        size = ratio // 2 + 1
        self.left = size - 1 if padding == "causal" else size // 2
        self.right = size - 1 - self.left
        kernel = torch.hann_window(size + 2, periodic=False)[1:-1]
        self.register_buffer("kernel", (kernel / kernel.sum()).reshape(1, 1, size))
        n = torch.arange(ratio, dtype=torch.float64)
        self.register_buffer("carrier", torch.cos(2 * math.pi * cycles_per_frame * n / ratio)
                             .to(torch.float32))
        self.register_buffer("decode_params", torch.tensor([latent, ratio, 1, 1]))

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        x = z[:, 0:1, :].repeat_interleave(self.ratio, -1)
        envelope = nn.functional.conv1d(nn.functional.pad(x, (self.left, self.right)),
                                        self.kernel)
        return envelope * self.carrier.repeat(z.shape[-1])


class V1Style(nn.Module):
    """RAVE v1 naming; see the module docstring."""

    def __init__(self, sr: int = 48000, ratio: int = 1024, latent: int = 4, full: int = 8) -> None:
        super().__init__()
        self.ratio = ratio
        self.register_buffer("sampling_rate", torch.tensor(sr))
        self.register_buffer("latent_size", torch.tensor(full))
        self.register_buffer("decode_params", torch.tensor([latent, ratio, 1, 1]))

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        missing = int(self.latent_size.item()) - z.shape[1]
        z = torch.cat([z, torch.zeros(z.shape[0], missing, z.shape[2])], 1)
        return z.mean(1, keepdim=True).repeat_interleave(self.ratio, -1)


class AttributeState(nn.Module):
    """Streaming, with its state in a plain tensor attribute (not a buffer): a DC
    level that rises by one every call."""

    def __init__(self) -> None:
        super().__init__()
        self.sr = 16000
        self.level = torch.zeros(1)
        self.register_buffer("decode_params", torch.tensor([2, 160, 1, 1]))

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        self.level = self.level + 1.0
        return z.mean(1, keepdim=True).repeat_interleave(160, -1) + self.level


class NoDecode(nn.Module):
    """Has decode_params but only ``forward``."""

    def __init__(self) -> None:
        super().__init__()
        self.sr = 44100
        self.register_buffer("decode_params", torch.tensor([4, 64, 1, 1]))

    def forward(self, x: Tensor) -> Tensor:
        return x


class NoParams(nn.Module):
    """Has ``decode`` but no decode_params."""

    def __init__(self) -> None:
        super().__init__()
        self.sr = 44100

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        return z.mean(1, keepdim=True).repeat_interleave(64, -1)


class WrongLength(nn.Module):
    """Claims ratio 64 and returns 32 samples per frame."""

    def __init__(self) -> None:
        super().__init__()
        self.sr = 44100
        self.register_buffer("decode_params", torch.tensor([4, 64, 1, 1]))

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        return z.mean(1, keepdim=True).repeat_interleave(32, -1)


#: What :class:`Misbehaving` does once its first ``after`` calls have passed.
MISBEHAVIOURS = ("nan", "huge", "short", "empty", "raise", "slow")


class Misbehaving(nn.Module):
    """Behaves (a quiet sine, ratio 64 at 16 kHz) for its first ``after`` decode calls,
    enough for the loader's probe, then misbehaves: ``nan`` and ``huge`` (1e30)
    samples, ``short`` (half the samples), ``empty`` (none), ``raise``, or ``slow``
    (every call spins for ``spin`` rounds of a large FFT: far slower than real time)."""

    def __init__(self, mode: str, after: int = 40, spin: int = 200) -> None:
        super().__init__()
        self.sr = 16000
        self.mode = MISBEHAVIOURS.index(mode)
        self.after = after
        self.spin = spin
        self.register_buffer("decode_params", torch.tensor([4, 64, 1, 1]))
        self.register_buffer("calls", torch.zeros(1, dtype=torch.int64))

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        self.calls += 1
        n = z.shape[-1] * 64
        t = torch.arange(n, dtype=torch.float32)
        out = (0.1 * torch.sin(t * 0.2)).reshape(1, 1, n)
        if int(self.calls.item()) <= self.after:
            return out
        if self.mode == 0:
            return out * float("nan")
        if self.mode == 1:
            return out * 0.0 + 1e30
        if self.mode == 2:
            return out[..., :n // 2]
        if self.mode == 3:
            return out[..., :0]
        if self.mode == 4:
            raise RuntimeError("this model fails on purpose")
        work = torch.ones(1 << 16)
        for _ in range(self.spin):
            work = torch.fft.irfft(torch.fft.rfft(work), n=1 << 16)
        return out + 0.0 * work[:1].reshape(1, 1, 1)


class Interface(nn.Module):
    """A decoder stating whatever interface it is given: ``decode_params`` as a float
    tensor (fractions, inf) and ``sr`` as a float (NaN, inf, 1e9)."""

    def __init__(self, decode_params: list[float], sr: float) -> None:
        super().__init__()
        self.sr = sr
        self.register_buffer("decode_params", torch.tensor(decode_params, dtype=torch.float64))

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        return z.mean(1, keepdim=True).repeat_interleave(64, -1)


class RaveLike(nn.Module):
    """RAVE's decode in miniature: latent 4 of a full 8, the missing channels filled
    with noise by the model itself (as a RAVE export does), then a generator with no
    bias anywhere, so an all-zero latent decodes to exact silence (as RAVE's nearly
    does). Channel 0..3 set the amplitude of four sines."""

    def __init__(self) -> None:
        super().__init__()
        self.sr = 16000
        self.latent_size = 4
        self.full_latent_size = 8
        self.register_buffer("decode_params", torch.tensor([4, 128, 1, 1]))
        mix = torch.linspace(-1.0, 1.0, 32).reshape(4, 8)
        self.register_buffer("mix", mix)

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        if z.shape[1] < 8:
            noise = torch.randn(z.shape[0], 8 - z.shape[1], z.shape[2])
            z = torch.cat([z, noise], 1)
        amps = torch.tanh(torch.einsum("ij,bjt->bit", self.mix, z))  # (b, 4, t), 0 at 0
        amps = amps.repeat_interleave(128, -1)
        t = torch.arange(amps.shape[-1], dtype=torch.float32)
        hz = torch.tensor([220.0, 330.0, 440.0, 550.0]).reshape(1, 4, 1)
        waves = torch.sin(2 * math.pi * hz * t.reshape(1, 1, -1) / 16000.0)
        return 0.2 * (amps * waves).sum(1, keepdim=True)


class WritesOnLoad(nn.Module):
    """A working decoder whose ``__setstate__``, which ``torch.jit.load`` runs, writes
    ``XXXXXXXX`` over the first 8 bytes of ``target`` (a shared file mapping): what a
    crafted model file can do to whoever merely loads it."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.sr = 16000
        self.target = target
        self.written = 0
        self.register_buffer("decode_params", torch.tensor([4, 64, 1, 1]))

    @torch.jit.export
    def __getstate__(self) -> tuple[str, Tensor, bool]:
        return (self.target, self.decode_params, self.training)

    @torch.jit.export
    def __setstate__(self, state: tuple[str, Tensor, bool]) -> None:
        self.target = state[0]
        self.decode_params = state[1]
        self.training = state[2]
        self.sr = 16000
        mapped = torch.from_file(self.target, True, 8, dtype=torch.uint8)
        mapped.fill_(88)
        self.written = int(mapped.sum())

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        return z.mean(1, keepdim=True).repeat_interleave(64, -1)


def save(module: nn.Module, path: Path) -> Path:
    """Script ``module`` and save it to ``path``."""
    with warnings.catch_warnings():  # nn~ files are TorchScript, deprecated or not
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(module.eval()).save(str(path))
    return path


def save_as_newer_torch(module: nn.Module, path: Path) -> Path:
    """Save ``module`` as a file claiming a TorchScript format version far newer than
    any torch reads (what a model exported by a future torch looks like here)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(module.eval()), buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, b"99\n" if name.endswith("/version") else data)
    return path


BUILDERS = {
    "sine": lambda: SineStreaming(),
    "sine-delay": lambda: SineStreaming(delay=300),
    "sine-stereo": lambda: SineStreaming(channels=2),
    "conv-causal": lambda: ConvNonStreaming(padding="causal"),
    "conv-centered": lambda: ConvNonStreaming(padding="centered"),
    "v1": lambda: V1Style(),
    "sine-r128": lambda: SineStreaming(ratio=128, latent=8),
    "sine-r256": lambda: SineStreaming(ratio=256, latent=8),
    "small-r128": lambda: CachedConvStreaming(ratio=128),
    "small-r256": lambda: CachedConvStreaming(ratio=256),
    "rave-v2-sized": lambda: CachedConvStreaming(
        ratio=2048, latent=8, full_latent=128, widths=(1024, 512, 256, 128, 64),
        factors=(4, 4, 4, 2), residuals=3),
}


def main() -> None:
    parser = argparse.ArgumentParser(description="save a small test model")
    parser.add_argument("kind", choices=sorted(BUILDERS))
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    print(save(BUILDERS[args.kind](), args.out))


if __name__ == "__main__":
    main()
