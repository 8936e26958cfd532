"""The project's own neural audio model, shipped so the instrument sounds on the first command.

``DEFAULT_MODEL_PATH`` is a TorchScript file with the interface of a RAVE v2 streaming export
(see :mod:`nodes.models.export`), trained by ``python -m nodes.models.train`` on a synthetic
corpus; its model card is the ``.md`` file beside it.
"""

from pathlib import Path

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "default.ts"
