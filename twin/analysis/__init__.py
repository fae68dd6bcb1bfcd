"""Analysis and reports: metrics, results folders, comparisons and sweeps."""
