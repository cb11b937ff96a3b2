"""``python -m flopmine`` runs the CLI."""

from .cli import main

main()
