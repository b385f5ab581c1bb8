"""`python -m rnntui`: the same entry point as the `rnntui` command."""

from .cli import main

if __name__ == "__main__":   # training children may import this module; only the real run starts the CLI
    raise SystemExit(main())
