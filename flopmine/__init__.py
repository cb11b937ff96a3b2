"""flopmine core: record types, configuration, the SQLite store and the CLI.

The pipeline stages live in their own top-level packages: ``harvest`` (arXiv → PDFs),
``extract`` (PDFs → candidate facts), ``review`` (candidates → reviewed facts in
``annotations/``) and ``analysis`` (reviewed facts → dataset → scaling-law fits).
"""

__version__ = "0.1.0"
