"""The project's own neural audio models: ``nodegraph train`` and the shipped default.

``DEFAULT_MODEL_PATH`` is a TorchScript file with the interface of a RAVE v2 streaming export
(see :mod:`nodes.models.export`), made by ``nodegraph train`` (:mod:`nodes.models.train`) from
the recordings :mod:`nodes.models.default_corpus` gathers; its model card is the ``.md`` file
beside it, with pictures and held-out clips in the ``.card`` folder.
"""

from pathlib import Path

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "default.ts"
