"""Experiments: one function per table or figure, results cached with provenance."""
