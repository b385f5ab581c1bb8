"""Modal screens: export, help, confirm-discard."""
