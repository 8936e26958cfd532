"""Helpers for the vision nodes (camera, facemesh, face-features, hands, preview).

Not scanned by the node registry: test-face animation, video sources, landmark
geometry and drawing live here so each node file stays one node type.
"""
