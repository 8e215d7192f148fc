"""Benchmarking case studies: measured results of practices, compared among peers."""
