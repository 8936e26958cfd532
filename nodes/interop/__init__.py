"""Interop helpers: transport shared by the interop nodes (osc-in, osc-out, midi-in)
and FluCoMa files in and out of learned state (``nodegraph data``).

Not a node module: the registry scans only the top level of ``nodes/``.
"""
