"""Hazards and lifelines: pipe failures, rainstorms, earthquakes and closures as a timeline."""
