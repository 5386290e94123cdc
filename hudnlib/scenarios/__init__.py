"""Scenario generators: paper B's Sionna HetNet (``paper_b``)."""
