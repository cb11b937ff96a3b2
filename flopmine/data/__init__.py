"""Data files shipped with flopmine (``hardware.csv`` …); loaded through ``importlib.resources``."""
