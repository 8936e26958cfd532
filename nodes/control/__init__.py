"""Helpers shared by the control nodes (not scanned for node types)."""
