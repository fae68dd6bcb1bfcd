"""The response simulation: incidents, forces, dispatch and the SimPy engine."""
