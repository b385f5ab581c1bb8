"""`python -m rnntui`: the same entry point as the `rnntui` command."""

from .cli import main

raise SystemExit(main())
