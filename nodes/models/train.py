"""``nodegraph train SOUNDS... --out NAME.ts``: a streaming model of a performer's recordings.

The pipeline: :mod:`nodes.models.recordings` gathers and splits the recordings,
:mod:`nodes.models.frames` analyses them (encoder features, f0 and voicing targets), then each
step trains the variational autoencoder of :mod:`nodes.models.model` on ``--batch`` random
segments of ``--frames`` latent frames:

* the encoder's posterior is sampled (reparameterisation), the decoder's controls are
  synthesised and compared with the recording by a multi-scale spectral loss (linear + log
  magnitude, FFT sizes 2048..64); the oscillators play the analysed f0 on voiced frames, and
  the decoder's own f0 is learned from the supervised loss: semitone error against YIN on
  voiced frames;
* the decoder's voicing is trained against the voicing flag (binary cross-entropy), so unvoiced
  material comes back as noise, without a harmonic buzz;
* the A-weighted level of each 2048-sample frame is compared in dB (``--loudness-weight``);
* KL divergence to N(0, I), weighted by ``--beta``, with ``--free-bits`` nats per dimension free;
  a floor (``--spread``) on the variance of every principal axis of the posterior means.

Time: ``--minutes`` is the budget for the training steps, and the learning-rate schedule
(warm-up, cosine decay) follows the time spent, so it ends on time however busy the machine is.
``--steps`` runs exactly that many steps instead, and makes a run reproducible (same options,
material and thread count → same weights).

Safety: a checkpoint ``NAME.ckpt`` (tensors and plain values only, read back with
``torch.load(weights_only=True)``) is written atomically every ``--checkpoint-minutes`` and
when the run stops. Ctrl-C stops training, exports the best weights so far and says how to
``--resume``. After training the posterior means are PCA-rotated (axes by decreasing variance),
the model is exported (:mod:`nodes.models.export`), measured on the held-out clips
(:mod:`nodes.models.evaluate`) and its card written beside it (:mod:`nodes.models.card`).
Runs on the calling thread with ``--threads`` intra-op threads.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from nodes.models import card, dsp, evaluate, recordings
from nodes.models.export import export
from nodes.models.frames import Segments, analyse
from nodes.models.model import LATENT, Decoder, Encoder, Features
from nodes.models.recordings import Material, MaterialError

FFT_SIZES = (2048, 1024, 512, 256, 128, 64)
LOUDNESS_FFT = 2048
LOUDNESS_FLOOR_DB = -70.0
_A_WEIGHTS = torch.from_numpy(evaluate.a_weighting(np.fft.rfftfreq(LOUDNESS_FFT, 1.0 / dsp.SR))).float()
# A full-scale 1 kHz sine through the same analysis: 0 dB.
_A_REF = float((torch.stft(torch.sin(2 * math.pi * 1000.0 * torch.arange(8 * LOUDNESS_FFT) / dsp.SR),
                           LOUDNESS_FFT, LOUDNESS_FFT // 4, window=torch.hann_window(LOUDNESS_FFT),
                           return_complex=True).abs() ** 2 * _A_WEIGHTS[:, None]).sum(0)[4])
LOG_EVERY = 25
CHECKPOINT_FORMAT = 1
RATIOS = (64, 128, 256, 512, 1024)
WARMUP = 0.05
FINAL_LR = 0.05


class TrainError(RuntimeError):
    """A training run that cannot start or go on; the message says why and what to do."""


def spectral_loss(x: Tensor, y: Tensor) -> Tensor:
    """Multi-scale spectral distance between ``(B, N)`` signals: mean over FFT sizes of
    L1(|X| - |Y|) + L1(log|X| - log|Y|), Hann windows, 75 % overlap."""
    total = x.new_zeros(())
    for size in FFT_SIZES:
        window = torch.hann_window(size, device=x.device)
        sx = torch.stft(x, size, size // 4, window=window, return_complex=True).abs()
        sy = torch.stft(y, size, size // 4, window=window, return_complex=True).abs()
        total = total + (sx - sy).abs().mean() + (torch.log(sx + 1e-5) - torch.log(sy + 1e-5)).abs().mean()
    return total / len(FFT_SIZES)


def loudness_loss(x: Tensor, y: Tensor, floor_db: float = LOUDNESS_FLOOR_DB) -> Tensor:
    """Mean absolute difference of A-weighted frame levels (dB, Hann ``LOUDNESS_FFT`` frames,
    hop a quarter of that) between ``(B, N)`` signals, levels floored at ``floor_db``: the
    spectral loss weighs every bin alike, this one what a listener hears as loudness."""
    window = torch.hann_window(LOUDNESS_FFT, device=x.device)
    weights = _A_WEIGHTS.to(x.device)

    def level(s: Tensor) -> Tensor:
        power = torch.stft(s, LOUDNESS_FFT, LOUDNESS_FFT // 4, window=window, return_complex=True).abs() ** 2
        return (10.0 * torch.log10((power * weights[:, None]).sum(1) / _A_REF + 1e-12)).clamp(min=floor_db)

    return (level(x) - level(y)).abs().mean()


def train_step(encoder: Encoder, decoder: Decoder, batch: dict[str, Tensor], options: argparse.Namespace,
               generator: torch.Generator) -> dict[str, Tensor]:
    """Forward pass and losses for one batch; returns named losses with ``total`` first.

    ``kl`` is the KL divergence per frame (nats, summed over dimensions); the penalty applies
    to each dimension's batch-mean KL only above ``free_bits`` nats, so that no dimension is
    pushed all the way to the prior (posterior collapse). ``spread`` penalises every
    eigenvalue of the batch covariance of posterior means below ``options.spread``: each PCA
    axis of the exported latent keeps a usable range instead of collapsing to a sliver.
    """
    mean, logvar = encoder(batch["features"])
    noise = torch.randn(mean.shape, generator=generator).to(mean.device)
    z = mean + torch.exp(0.5 * logvar) * noise
    b = z.shape[0]
    out, _ = decoder(z, torch.zeros(1, b, decoder.gru.hidden_size, device=z.device))
    f0, voicing, harm, gains = decoder.controls(out)
    voiced = batch["voiced"].float()
    semitones = 12.0 * torch.log2(f0 / batch["f0"]).abs()
    losses = {"f0": (semitones * voiced).sum() / voiced.sum().clamp(min=1.0),
              "voicing": torch.nn.functional.binary_cross_entropy(voicing.clamp(1e-6, 1 - 1e-6), voiced)}
    kl_dims = 0.5 * (mean ** 2 + logvar.exp() - 1.0 - logvar).mean(dim=(0, 1))
    losses["kl"] = kl_dims.sum()
    variances = torch.linalg.eigvalsh(torch.cov(mean.reshape(-1, encoder.latent).T))
    losses["spread"] = torch.relu(options.spread - variances).sum()
    # The oscillators play the analysed f0 on voiced frames (the decoder's own f0, learned by
    # the f0 loss, elsewhere): harmonics at a slightly wrong pitch would cost the spectral loss
    # more than noise does, and it would learn to play noise instead (as DDSP, which conditions
    # on the analysed f0). Frame t moves from anchor t-1 to anchor t; frame 0 (no anchor before
    # it) holds anchor 0 and only primes the noise tail: every frame is synthesised, frames
    # 1..n-1 are compared.
    f0_end = torch.where(batch["voiced"], batch["f0"], f0.detach())
    f0_start = torch.cat([f0_end[:, :1], f0_end[:, :-1]], 1)
    hop = decoder.hop
    advance = (hop * f0_start + (f0_end - f0_start) * (hop - 1) / 2.0) / dsp.SR
    phase0 = torch.frac(batch["phase"][:, None] + torch.cumsum(advance, 1) - advance)
    tail = torch.zeros(b, hop, device=z.device)
    audio, _, _ = decoder.render(f0_start, f0_end, torch.cat([harm[:, :1], harm[:, :-1]], 1), harm,
                                 gains, phase0, batch["grain"], tail)
    losses["spectral"] = spectral_loss(audio[:, hop:], batch["audio"])
    losses["loudness"] = loudness_loss(audio[:, hop:], batch["audio"])
    total = (losses["spectral"] + options.f0_weight * losses["f0"] + losses["voicing"]
             + options.loudness_weight * losses["loudness"]
             + options.beta * kl_dims.clamp(min=options.free_bits).sum() + losses["spread"])
    return {"total": total, **losses}


def latent_pca(encoder: Encoder, features: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """PCA of posterior means: ``(mean (L,), components (L, L) by decreasing variance,
    variances (L,))``; each axis's sign is chosen so that its largest loading is positive."""
    with torch.no_grad():
        mu = torch.cat([encoder(chunk)[0] for chunk in torch.split(features, 65536)])
    mu = mu.double()
    centre = mu.mean(0)
    variances, vectors = torch.linalg.eigh(torch.cov((mu - centre).T))
    order = torch.argsort(variances, descending=True)
    variances, vectors = variances[order], vectors[:, order]
    signs = torch.sign(vectors.gather(0, vectors.abs().argmax(0, keepdim=True)))
    return centre.float(), (vectors * signs).float(), variances.float()


@contextlib.contextmanager
def _interrupt_after() -> Iterator[None]:
    """Ctrl-C (SIGINT) during the block is held until it ends, then raised as usual:
    a checkpoint is written whole (torch's writer turns an interrupt in the middle into
    a RuntimeError). Only the main thread can hold it; elsewhere the block runs as is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


def build_parser(prog: str = "nodegraph train") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Train a low-latency streaming model of "
                                "your recordings (RAVE v2 streaming interface, nn~-compatible).")
    p.add_argument("sounds", nargs="+", type=Path, help="audio files and folders of them")
    p.add_argument("--out", type=Path, required=True, help="TorchScript file to write (NAME.ts)")
    p.add_argument("--minutes", type=float, default=20.0, help="time budget for training steps")
    p.add_argument("--steps", type=int, help="train exactly this many steps (overrides --minutes)")
    p.add_argument("--ratio", type=int, default=dsp.HOP, choices=RATIOS,
                   help=f"samples per latent frame (default {dsp.HOP}: {dsp.HOP / dsp.SR * 1e3:.1f} ms)")
    p.add_argument("--latent", type=int, default=LATENT, choices=range(1, 65), metavar="1..64",
                   help=f"latent dimensions (default {LATENT})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU exists")
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    p.add_argument("--resume", action="store_true", help="continue from NAME.ckpt")
    p.add_argument("--checkpoint-minutes", type=float, default=3.0)
    p.add_argument("--frames", type=int, default=48, help="latent frames per training segment")
    p.add_argument("--batch", type=int, default=12, help="segments per step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta", type=float, default=0.02, help="KL weight")
    p.add_argument("--free-bits", type=float, default=3.0, help="KL-free nats per latent dimension")
    p.add_argument("--spread", type=float, default=0.3,
                   help="minimum variance of every principal axis of the posterior means")
    p.add_argument("--f0-weight", type=float, default=2.0, help="weight of the f0 loss (semitones)")
    p.add_argument("--loudness-weight", type=float, default=0.1,
                   help="weight of the loudness loss (A-weighted dB)")
    p.add_argument("--quick-figures", action="store_true",
                   help="measure the model briefly (smoke runs and tests)")
    return p


class Run:
    """One training run: material, modules, optimiser, progress; checkpoints and export."""

    def __init__(self, options: argparse.Namespace, material: Material) -> None:
        self.options = options
        self.material = material
        self.device = torch.device(options.device)
        self.checkpoint_path = options.out.with_suffix(".ckpt")
        self.features = Features(options.ratio)
        self.frames = analyse(material.train, self.features, options.frames + 2)
        raw = torch.from_numpy(self.frames.features)
        self.features.mean.copy_(raw.mean(0))
        self.features.std.copy_(raw.std(0).clamp(min=1e-3))
        self.frames.features = ((raw - self.features.mean) / self.features.std).numpy()
        torch.manual_seed(options.seed)
        self.encoder = Encoder(options.latent).to(self.device)
        self.decoder = Decoder(options.latent, options.ratio).to(self.device)
        self.params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        self.optimiser = torch.optim.Adam(self.params, lr=options.lr)
        self.segments = Segments(self.frames, options.frames, options.ratio, options.seed)
        self.generator = torch.Generator().manual_seed(options.seed)
        self.step = 0
        self.history: list[dict] = []
        self.best: tuple[float, dict] | None = None
        self.seconds = 0.0

    # -- checkpoints -------------------------------------------------------------------------
    def _modules(self) -> dict:
        return {"encoder": self.encoder.state_dict(), "decoder": self.decoder.state_dict(),
                "features": self.features.state_dict()}

    def save_checkpoint(self) -> None:
        """Write ``NAME.ckpt`` atomically (temp file, fsync, rename); Ctrl-C waits for it."""
        state = {"format": CHECKPOINT_FORMAT, **self._modules(),
                 "optimiser": self.optimiser.state_dict(),
                 "step": self.step, "seconds": self.seconds,
                 "history": self.history, "best_loss": self.best[0] if self.best else float("inf"),
                 "best": self.best[1] if self.best else {},
                 "segments": json.dumps(self.segments.state()), "generator": self.generator.get_state(),
                 "files": sorted(str(p) for p in self.material.files)}
        partial = self.checkpoint_path.with_name(self.checkpoint_path.name + ".partial")
        with _interrupt_after():
            with open(partial, "wb") as out:
                torch.save(state, out)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(self.checkpoint_path)

    def load_checkpoint(self) -> None:
        if not self.checkpoint_path.is_file():
            raise TrainError(f"{self.checkpoint_path}: no checkpoint to resume; run without --resume")
        state = torch.load(self.checkpoint_path, map_location=self.device, weights_only=True)
        if state.get("format") != CHECKPOINT_FORMAT:
            raise TrainError(f"{self.checkpoint_path}: not a checkpoint of this version")
        if state["files"] != sorted(str(p) for p in self.material.files):
            raise TrainError(f"{self.checkpoint_path}: made from other recordings; resume with "
                             f"the same SOUNDS, or train anew without --resume")
        self.encoder.load_state_dict(state["encoder"])
        self.decoder.load_state_dict(state["decoder"])
        self.features.load_state_dict(state["features"])
        self.optimiser.load_state_dict(state["optimiser"])
        self.step = state["step"]
        self.seconds, self.history = state["seconds"], state["history"]
        if state["best"]:
            self.best = (state["best_loss"], state["best"])
        self.segments.restore(json.loads(state["segments"]))
        self.generator.set_state(state["generator"])

    # -- training ----------------------------------------------------------------------------
    def progress(self) -> float:
        """How far through the run, 0..1: steps done of ``--steps``, else seconds spent of the
        ``--minutes`` budget."""
        if self.options.steps:
            return self.step / self.options.steps
        return self.seconds / (self.options.minutes * 60.0)

    def learning_rate(self) -> float:
        """A linear warm-up over the first ``WARMUP`` of the run, then a cosine decay to
        ``FINAL_LR`` of the peak ``--lr``."""
        p = min(self.progress(), 1.0)
        if p < WARMUP:
            return self.options.lr * max(p / WARMUP, 0.01)
        decay = 0.5 * (1.0 + math.cos(math.pi * (p - WARMUP) / (1.0 - WARMUP)))
        return self.options.lr * (FINAL_LR + (1.0 - FINAL_LR) * decay)

    def _one_step(self) -> dict[str, float]:
        for group in self.optimiser.param_groups:
            group["lr"] = self.learning_rate()
        batch = {k: v.to(self.device) for k, v in self.segments.sample(self.options.batch).items()}
        losses = train_step(self.encoder, self.decoder, batch, self.options, self.generator)
        self.optimiser.zero_grad()
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimiser.step()
        self.step += 1
        return {k: float(v.detach()) for k, v in losses.items()}

    def train(self) -> bool:
        """Train to the end of the run; returns False when stopped by Ctrl-C.

        The progress bar counts steps with ``--steps``, else seconds of the budget."""
        by_steps = bool(self.options.steps)
        total = self.options.steps if by_steps else round(self.options.minutes * 60.0)
        bar = tqdm(total=total, initial=self.step if by_steps else round(self.seconds), desc="training",
                   unit="step" if by_steps else "s", dynamic_ncols=True, file=sys.stderr,
                   bar_format=None if by_steps else "{l_bar}{bar}| {n:.0f}/{total} s [{elapsed}<{remaining}{postfix}]")
        running: dict[str, float] = {}
        last_checkpoint = time.perf_counter()
        try:
            while self.progress() < 1.0:
                started = time.perf_counter()
                for k, v in self._one_step().items():
                    running[k] = running.get(k, 0.0) + v
                spent = time.perf_counter() - started
                self.seconds += spent
                bar.update(1 if by_steps else min(spent, total - bar.n))
                if self.step % LOG_EVERY == 0 or self.progress() >= 1.0:
                    self._log(running, bar)
                    running = {}
                if time.perf_counter() - last_checkpoint > self.options.checkpoint_minutes * 60:
                    self.save_checkpoint()
                    last_checkpoint = time.perf_counter()
        except KeyboardInterrupt:
            bar.close()
            self.save_checkpoint()
            return False
        bar.close()
        self.save_checkpoint()
        return True

    def _log(self, running: dict[str, float], bar: tqdm) -> None:
        n = self.step - (self.history[-1]["step"] if self.history else 0)
        means = {k: round(v / max(n, 1), 4) for k, v in running.items()}
        self.history.append({"step": self.step, "seconds": round(self.seconds, 1), **means})
        bar.set_postfix(step=self.step, loss=f"{means['total']:.3f}", f0=f"{means['f0']:.2f}",
                        spec=f"{means['spectral']:.3f}")
        if self.best is None or means["total"] < self.best[0]:
            self.best = (means["total"], copy.deepcopy(self._modules()))

    # -- export ------------------------------------------------------------------------------
    def export(self) -> torch.jit.ScriptModule:
        """Export the best weights so far (PCA-rotated latent) to ``--out``."""
        o = self.options
        encoder, decoder, features = Encoder(o.latent), Decoder(o.latent, o.ratio), Features(o.ratio)
        modules = self.best[1] if self.best else self._modules()
        encoder.load_state_dict(modules["encoder"])
        decoder.load_state_dict(modules["decoder"])
        features.load_state_dict(modules["features"])
        centre, components, self.variances = latent_pca(encoder, torch.from_numpy(self.frames.features))
        return export(features, encoder, decoder, centre, components, self.options.out)

    def record(self, argv: list[str]) -> dict:
        """What the model card stores about this run."""
        return {"command": "nodegraph train " + " ".join(argv),
                "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.options).items()
                            if k != "sounds"},
                "files": {str(p): s for p, s in self.material.files.items()},
                "skipped": {str(p): why for p, why in self.material.skipped.items()},
                "train_seconds_of_audio": round(self.material.train_seconds, 1),
                "held_out": [{"source": str(c.source), "start": round(c.start, 2),
                              "seconds": round(c.seconds, 2)} for c in self.material.held_out],
                "steps": self.step,
                "training_seconds": round(self.seconds, 1), "history": self.history,
                "variances": [round(v, 4) for v in self.variances.tolist()]}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``nodegraph train``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    options = build_parser().parse_args(argv)
    if options.out.suffix != ".ts":
        print(f"nodegraph train: --out {options.out}: name the model file NAME.ts", file=sys.stderr)
        return 2
    if options.device.startswith("cuda") and not torch.cuda.is_available():
        print("nodegraph train: --device cuda: no CUDA GPU here; use --device cpu", file=sys.stderr)
        return 2
    torch.set_num_threads(options.threads)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        material = recordings.gather(options.sounds, options.seed)
        print(recordings.describe(material), file=sys.stderr)
        run = Run(options, material)
        if options.resume:
            run.load_checkpoint()
            print(f"resuming at step {run.step} ({run.progress():.0%} done)", file=sys.stderr)
    except (MaterialError, TrainError) as exc:
        print(f"nodegraph train: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nnodegraph train: interrupted while reading the recordings; nothing was written",
              file=sys.stderr)
        return 130
    finished = run.train()
    model = run.export()
    try:
        figures = evaluate.measure(model, material.held_out, quick=options.quick_figures)
        card.write(options.out, run.record(argv), figures, material.held_out,
                   clips=1 if options.quick_figures else card.CARD_CLIPS)
    except KeyboardInterrupt:
        again = " ".join(a for a in argv if a != "--resume")
        print(f"\ninterrupted while measuring: {options.out} is written, its card is not; "
              f"nodegraph train {again} --resume measures and writes it", file=sys.stderr)
        return 130
    size = options.out.stat().st_size / 1e6
    if not finished:
        print(f"\ninterrupted at step {run.step} ({run.progress():.0%} done): exported the best weights so "
              f"far to {options.out} ({size:.2f} MB) and saved {run.checkpoint_path}.\n"
              f"resume with: nodegraph train {' '.join(a for a in argv if a != '--resume')} --resume",
              file=sys.stderr)
        return 130
    print(f"wrote {options.out} ({size:.2f} MB), its card {options.out.with_suffix('.md')}; "
          f"training {run.seconds / 60:.1f} min, total {(time.perf_counter() - started) / 60:.1f} min",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
