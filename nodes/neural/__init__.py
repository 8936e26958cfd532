"""Neural audio models for the node library: loading, inspecting and decoding
nn~-compatible TorchScript files. torch is imported here, never in ``nodegraph/``.

- :mod:`.model`: read a ``.ts`` file, state its interface (latent size, ratio,
  rate, channels), measure its delay and cost, explain what is wrong with it;
- :mod:`.decoder`: turn latent frames into audio, streaming or with context and
  crossfade for non-streaming exports;
- :mod:`.guard`: check every decode's audio (shape, NaN, range), its progress and
  its speed before anyone hears it;
- :mod:`.sandbox`: read a model's interface in a child process that cannot write
  files (``nodegraph check``: a model file is code).
"""
