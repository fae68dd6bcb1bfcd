"""Data shipped with the package: the embedded Chongqing twin, the scenarios, NOTICE.md."""
