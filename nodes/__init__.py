"""The node library: one node type per module (see nodegraph.node for the contract)."""
