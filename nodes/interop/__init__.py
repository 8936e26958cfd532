"""Transport shared by the interop nodes (osc-in, osc-out, midi-in).

Not a node module: the registry scans only the top level of ``nodes/``.
"""
