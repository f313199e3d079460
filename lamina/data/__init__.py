"""Data on disk: the IDX reader and writer (MNIST's file format)."""
from .idx import parse_idx, read_idx, write_idx

__all__ = ["read_idx", "write_idx", "parse_idx"]
