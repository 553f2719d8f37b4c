"""The optimiser zoo; importing the package registers every optimiser (see base.py)."""
