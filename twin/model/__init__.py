"""The city model: layers, validation at the boundary, roads and pipes as arrays."""
