"""Clip and figure export: options from the command line or the dialog, and the clip encoder (no Qt here)."""
