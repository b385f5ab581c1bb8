"""The Textual front end: ``run_app`` opens it (see :mod:`rnntui.ui.app`)."""
