"""Widgets of the main screen, one feature per module."""
