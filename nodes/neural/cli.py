"""``nodegraph model info FILE``: what a TorchScript model offers, measured (a
``nodegraph.commands`` entry point: :mod:`nodegraph.commands`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nodegraph.api import DEFAULT_SAFETY_MS

SUMMARY = "inspect neural audio models"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(metavar="ACTION", required=True)
    info = actions.add_parser("info", help="what a TorchScript model offers, measured")
    info.add_argument("file", help="a TorchScript file, or 'default' for the shipped model")
    info.add_argument("--json", action="store_true", help="as JSON")
    info.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


#: Blocks and device rate the latency floor of `model info` is stated for.
FLOOR_BLOCKS = (64, 128, 256)
FLOOR_RATE = 48000


def run(args: argparse.Namespace) -> int:
    """``nodegraph model info FILE``: print (or ``--json``) the model's interface,
    measured decode cost and latency floor, and its card's figures."""
    from .model import ModelError, load_model, model_file

    try:
        info = load_model(model_file(args.file), args.threads).info
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    floors = {block: info.latency_floor(block, FLOOR_RATE) for block in FLOOR_BLOCKS}
    if args.json:
        print(json.dumps({**info.to_json(), "latency_floor": [
            {"sr": FLOOR_RATE, "block": block, **floor} for block, floor in floors.items()]},
            indent=1))
        return 0
    frame_ms = 1000 * info.frame_seconds
    filled = "" if info.full_latent_size == info.latent_size else \
        f" (full {info.full_latent_size}: rave-decode fills the rest)"
    delay = "no output change measured" if info.delay_samples is None else \
        f"{info.delay_samples} samples ({1000 * info.delay_samples / info.sr:.1f} ms)"
    rows = [("latent_size", f"{info.latent_size}{filled}"),
            ("ratio", f"{info.ratio} samples per latent frame ({frame_ms:.1f} ms)"),
            ("sr", f"{info.sr} Hz"), ("channels", str(info.channels)),
            ("streaming", "yes (decode keeps state between calls)" if info.streaming else
             "no (rave-decode decodes with context and crossfades)"),
            ("delay", delay),
            ("decode", f"{info.decode_ms_per_frame:.2f} ms per frame, "
                       f"{info.decode_rtf:.1f}x real time ({args.threads} thread"
                       f"{'s' if args.threads > 1 else ''})"),
            ("methods", ", ".join(info.methods))]
    print(info.path)
    for name, value in rows:
        print(f"  {name:<12} {value}")
    print(f"latency floor, event -> DAC at best ({FLOOR_RATE} Hz, device buffering 2 "
          f"blocks, safety {DEFAULT_SAFETY_MS:g} ms):")
    print(f"  a change waits 0-{frame_ms:.1f} ms for the next latent frame and 0-1 block "
          "for the next render")
    for block, floor in floors.items():
        print(f"  block {block:<4} p50 {floor['p50']:5.1f} ms  p95 {floor['p95']:5.1f} ms  "
              f"jitter {floor['jitter']:4.1f} ms")
    card = Path(info.path).with_suffix(".md")
    if card.is_file():
        print(f"model card: {card}")
        print(_card_figures(card.read_text(encoding="utf-8")))
    return 0


def _card_figures(card: str) -> str:
    """The summary of a model card's "## Figures" section: its text up to the first
    table, markdown emphasis removed."""
    section = card.partition("\n## Figures\n")[2]
    lines = []
    for line in section.splitlines():
        if line.startswith(("|", "## ", "```")):
            break
        lines.append(line.replace("**", ""))
    return "\n".join(lines).strip()


