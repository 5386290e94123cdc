"""Baseline methods of both papers, each with one signature so experiments can loop over them."""
