"""Train the default model and export it: ``python -m nodes.models.train [options]``.

Seeded and reproducible (same options and thread count → same weights): the corpus comes from
:mod:`nodes.models.corpus`, batches and posterior samples from generators seeded by ``--seed``.
Each step trains on random segments of ``--frames`` latent frames:

* the encoder's posterior is sampled (reparameterisation) and the decoder's controls are
  compared with the corpus's exact control targets — f0 in semitones on voiced frames, harmonic
  amplitudes and noise gains in log amplitude — on ``--batch`` segments;
* the first ``--audio-batch`` segments are also synthesised and compared with the corpus audio
  by a multi-scale spectral loss (linear + log magnitude, FFT sizes 2048..64); the oscillator
  phase is computed from a detached f0, so pitch is learned from the supervised loss only;
* KL divergence to N(0, I), weighted by ``--beta``, with ``--free-bits`` nats per dimension free;
* a floor (``--spread``) on the variance of every principal axis of the posterior means.

After training the posterior means of the training frames are PCA-rotated (axes in decreasing
variance), the model is exported to TorchScript (:mod:`nodes.models.export`), measured
(:mod:`nodes.models.evaluate`) and a model card is written next to it (same name, ``.md``).
``--tiny`` is a seconds-long smoke run of the whole pipeline (small corpus, few steps, small
measurements). Runs on the calling thread with ``--threads`` intra-op threads.
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from nodes.models import DEFAULT_MODEL_PATH, card, corpus, dsp, evaluate
from nodes.models.export import export
from nodes.models.model import CONTEXT, LATENT, Decoder, Encoder, Features, context_windows

FFT_SIZES = (2048, 1024, 512, 256, 128, 64)
LOG_EPS = 1e-4


@dataclass
class Frames:
    """Every frame of a set of clips, concatenated: audio ``(N, HOP)``, raw features ``(N, F)``,
    control targets (see :class:`corpus.FrameTargets`) and the first frame index of each clip."""

    audio: np.ndarray
    features: np.ndarray
    f0: np.ndarray
    harm: np.ndarray
    noise: np.ndarray
    voiced: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray


def analyse(clips: list[corpus.Clip], features: Features) -> Frames:
    """Frame the clips, compute raw encoder features and control targets."""
    audio = np.concatenate([c.audio.reshape(-1, dsp.HOP) for c in clips])
    raw = []
    with torch.no_grad():
        for chunk in np.array_split(audio, max(len(audio) // 2048, 1)):
            raw.append(features.raw(torch.from_numpy(chunk)[None])[0].numpy())
    targets = [corpus.frame_targets(c) for c in clips]
    lengths = np.array([c.n_frames for c in clips])
    return Frames(audio=audio, features=np.concatenate(raw),
                  f0=np.concatenate([t.f0 for t in targets]),
                  harm=np.concatenate([t.harm for t in targets]),
                  noise=np.concatenate([t.noise for t in targets]),
                  voiced=np.concatenate([t.voiced for t in targets]),
                  starts=np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths=lengths)


class Batches:
    """Random training segments.

    A segment of ``n`` decoder frames starting at clip frame ``s`` needs latents for frames
    ``s - CONTEXT .. s + n - 1`` (anchors ``s - 1 .. s + n - 1``, each with its causal context)
    and its target audio is the input delayed by half a frame: samples
    ``(s - 1) * HOP + HOP/2 .. (s + n - 1) * HOP + HOP/2`` of the clip.
    """

    def __init__(self, frames: Frames, n: int, seed: int) -> None:
        self.frames = frames
        self.n = n
        self.rng = np.random.default_rng(seed)
        starts = [frames.starts[i] + np.arange(CONTEXT, frames.lengths[i] - n + 1)
                  for i in range(len(frames.starts)) if frames.lengths[i] >= n + CONTEXT]
        self.valid = np.concatenate(starts)
        self.flat_audio = frames.audio.reshape(-1)

    def sample(self, batch: int, audio_batch: int) -> dict[str, Tensor]:
        s = self.rng.choice(self.valid, batch)
        latent_idx = s[:, None] + np.arange(-CONTEXT, self.n)
        anchor_idx = s[:, None] + np.arange(-1, self.n)
        first = (s[:audio_batch] - 1) * dsp.HOP + dsp.HOP // 2
        audio_idx = first[:, None] + np.arange(self.n * dsp.HOP)
        f = self.frames
        as_t = torch.from_numpy
        return {
            "features": as_t(f.features[latent_idx]),
            "f0": as_t(f.f0[anchor_idx]),
            "harm": as_t(f.harm[anchor_idx]),
            "noise": as_t(f.noise[anchor_idx]),
            "voiced": as_t(f.voiced[anchor_idx]),
            "audio": as_t(self.flat_audio[audio_idx]),
            "phase": as_t(self.rng.random(audio_batch)),
            "grain": as_t(self.rng.integers(0, 2 ** 24, audio_batch) * 4),
        }


def spectral_loss(x: Tensor, y: Tensor) -> Tensor:
    """Multi-scale spectral distance between ``(B, N)`` signals: mean over FFT sizes of
    L1(|X| - |Y|) + L1(log|X| - log|Y|), Hann windows, 75 % overlap."""
    total = x.new_zeros(())
    for size in FFT_SIZES:
        window = torch.hann_window(size)
        sx = torch.stft(x, size, size // 4, window=window, return_complex=True).abs()
        sy = torch.stft(y, size, size // 4, window=window, return_complex=True).abs()
        total = total + (sx - sy).abs().mean() + (torch.log(sx + 1e-5) - torch.log(sy + 1e-5)).abs().mean()
    return total / len(FFT_SIZES)


def _log_level(amplitudes: Tensor) -> Tensor:
    """Natural log of the total RMS-like level of per-harmonic / per-band amplitudes."""
    return 0.5 * torch.log((amplitudes ** 2).sum(-1) + LOG_EPS ** 2)


def control_losses(f0: Tensor, harm: Tensor, noise: Tensor, batch: dict[str, Tensor]) -> dict[str, Tensor]:
    """Supervised losses on the decoder's controls against the corpus targets.

    f0: L1 in semitones on voiced anchors; harm/noise: L1 of log amplitude per harmonic / band;
    level: L1 of the log total level of both parts (what loudness mostly depends on).
    """
    voiced = batch["voiced"].float()
    semitones = 12.0 * torch.log2(f0 / batch["f0"]).abs()
    return {
        "f0": (semitones * voiced).sum() / voiced.sum().clamp(min=1.0),
        "harm": (torch.log(harm + LOG_EPS) - torch.log(batch["harm"] + LOG_EPS)).abs().mean(),
        "noise": (torch.log(noise + LOG_EPS) - torch.log(batch["noise"] + LOG_EPS)).abs().mean(),
        "level": ((_log_level(harm) - _log_level(batch["harm"])).abs().mean()
                  + (_log_level(noise) - _log_level(batch["noise"])).abs().mean()),
    }


def train_step(encoder: Encoder, decoder: Decoder, batch: dict[str, Tensor], beta: float,
               free_bits: float, spread: float, f0_weight: float,
               generator: torch.Generator) -> dict[str, Tensor]:
    """Forward pass and losses for one batch; returns named losses with ``total`` first.

    ``kl`` is the KL divergence per frame (nats, summed over dimensions); the penalty applies
    to each dimension's batch-mean KL only above ``free_bits`` nats, so that no dimension is
    pushed all the way to the prior (posterior collapse). ``spread`` penalises every
    eigenvalue of the batch covariance of posterior means below ``spread``: each PCA axis of
    the exported latent keeps a usable range instead of collapsing to a sliver.
    """
    mean, logvar = encoder(batch["features"])
    z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=generator)
    f0, harm, noise = decoder.controls(context_windows(z))
    losses = control_losses(f0, harm, noise, batch)
    kl_dims = 0.5 * (mean ** 2 + logvar.exp() - 1.0 - logvar).mean(dim=(0, 1))
    losses["kl"] = kl_dims.sum()
    variances = torch.linalg.eigvalsh(torch.cov(mean.reshape(-1, LATENT).T))
    losses["spread"] = torch.relu(spread - variances).sum()
    a = batch["audio"].shape[0]
    f0_d = f0[:a].detach()
    f0_a, f0_b = f0_d[:, :-1], f0_d[:, 1:]
    advance = (dsp.HOP * f0_a + (f0_b - f0_a) * (dsp.HOP - 1) / 2.0).double() / dsp.SR
    phase0 = torch.frac(batch["phase"][:, None] + torch.cumsum(advance, 1) - advance).float()
    tail = torch.zeros(a, dsp.GRAIN_HOP)
    audio, _, _ = decoder.render(f0_a, f0_b, harm[:a, :-1], harm[:a, 1:], noise[:a, :-1],
                                 noise[:a, 1:], phase0, batch["grain"], tail)
    # The first half grain lacks the previous grain's tail (zeros above): leave it out.
    losses["spectral"] = spectral_loss(audio[:, dsp.GRAIN_HOP:], batch["audio"][:, dsp.GRAIN_HOP:])
    total = (losses["spectral"] + losses["harm"] + losses["noise"] + losses["level"]
             + f0_weight * losses["f0"] + beta * kl_dims.clamp(min=free_bits).sum()
             + losses["spread"])
    return {"total": total, **losses}


def latent_pca(encoder: Encoder, features: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """PCA of posterior means: ``(mean (L,), components (L, L) by decreasing variance,
    variances (L,))``; each axis's sign is chosen so that its largest loading is positive."""
    with torch.no_grad():
        mu, _ = encoder(features)
    mu = mu.double()
    centre = mu.mean(0)
    cov = torch.cov((mu - centre).T)
    variances, vectors = torch.linalg.eigh(cov)
    order = torch.argsort(variances, descending=True)
    variances, vectors = variances[order], vectors[:, order]
    signs = torch.sign(vectors.gather(0, vectors.abs().argmax(0, keepdim=True)))
    return centre.float(), (vectors * signs).float(), variances.float()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m nodes.models.train", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH, help="TorchScript file to write")
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--clips", type=int, default=400, help="training clips")
    p.add_argument("--test-clips", type=int, default=40, help="held-out clips")
    p.add_argument("--frames", type=int, default=8, help="decoder frames per segment")
    p.add_argument("--batch", type=int, default=64, help="segments per step (control losses)")
    p.add_argument("--audio-batch", type=int, default=8, help="segments synthesised per step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta", type=float, default=0.02, help="KL weight")
    p.add_argument("--free-bits", type=float, default=3.0, help="KL-free nats per latent dimension")
    p.add_argument("--spread", type=float, default=0.3,
                   help="minimum variance of every principal axis of the posterior means")
    p.add_argument("--f0-weight", type=float, default=1.0, help="weight of the f0 loss (semitones)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--tiny", action="store_true", help="smoke run: small corpus, few steps")
    args = p.parse_args(argv)
    if args.tiny:
        args.steps, args.clips, args.test_clips = min(args.steps, 5), 8, 8
        args.batch, args.audio_batch, args.log_every = 8, 2, 1
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    log = tqdm.write

    clips = corpus.make_corpus(args.seed, args.clips + args.test_clips)
    train_clips, test_clips = clips[: args.clips], clips[args.clips:]
    features = Features()
    frames = analyse(train_clips, features)
    raw = torch.from_numpy(frames.features)
    features.mean.copy_(raw.mean(0))
    features.std.copy_(raw.std(0).clamp(min=1e-3))
    frames.features = ((raw - features.mean) / features.std).numpy()
    log(f"corpus: {len(train_clips)} train clips ({len(frames.audio)} frames, "
        f"{len(frames.audio) * dsp.HOP / dsp.SR / 60:.1f} min), {len(test_clips)} test clips; "
        f"{time.perf_counter() - started:.0f} s")

    encoder, decoder = Encoder(), Decoder()
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimiser = torch.optim.Adam(params, lr=args.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.lr, total_steps=args.steps,
                                                   pct_start=0.05, final_div_factor=20.0)
    batches = Batches(frames, args.frames, args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    history = []
    running: dict[str, float] = {}
    bar = tqdm(range(args.steps), desc="training", unit="step", dynamic_ncols=True)
    for step in bar:
        losses = train_step(encoder, decoder, batches.sample(args.batch, args.audio_batch),
                            args.beta, args.free_bits, args.spread, args.f0_weight, generator)
        optimiser.zero_grad()
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        for k, v in losses.items():
            running[k] = running.get(k, 0.0) + float(v.detach())
        if (step + 1) % args.log_every == 0 or step + 1 == args.steps:
            n = (step % args.log_every) + 1
            means = {k: v / n for k, v in running.items()}
            running = {}
            history.append({"step": step + 1, **{k: round(v, 4) for k, v in means.items()}})
            bar.set_postfix(total=f"{means['total']:.3f}", f0=f"{means['f0']:.2f}",
                            spec=f"{means['spectral']:.3f}")
            log(json.dumps(history[-1]))
    train_seconds = time.perf_counter() - started

    centre, components, variances = latent_pca(encoder, torch.from_numpy(frames.features))
    log("latent PCA variances: " + ", ".join(f"{v:.3f}" for v in variances.tolist()))
    model = export(features, encoder, decoder, centre, components, args.out)
    figures = evaluate.measure(model, test_clips, quick=args.tiny)
    command = "python -m nodes.models.train " + " ".join(sys.argv[1:] if argv is None else argv)
    record = {"options": {k: v for k, v in vars(args).items() if k != "out"},
              "command": command.strip(), "history": history, "train_seconds": train_seconds,
              "variances": [round(v, 4) for v in variances.tolist()],
              "n_train_frames": len(frames.audio)}
    card.write(args.out.with_suffix(".md"), record, figures)
    log(json.dumps(figures))
    log(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) and its card; "
        f"training {train_seconds / 60:.1f} min, total {(time.perf_counter() - started) / 60:.1f} min")
    return figures


if __name__ == "__main__":
    main()
