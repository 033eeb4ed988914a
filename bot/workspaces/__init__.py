"""Workspaces and the channels Undertone watches."""
