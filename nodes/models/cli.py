"""``nodegraph train SOUNDS... --out NAME.ts`` (a ``nodegraph.commands`` entry point,
:mod:`nodegraph.commands`): the training script parses its own options; torch is
imported only when it runs."""

from __future__ import annotations

SUMMARY = "train a low-latency model of your recordings"


def main(argv: list[str]) -> int:
    """Run :func:`nodes.models.train.main` on ``argv``; its exit status."""
    from .train import main as train_main

    return train_main(argv)
