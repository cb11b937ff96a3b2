"""The harvest stage: find benchmark papers on arXiv, record them, download their PDFs.

``harvest.run(home, ...)`` returns a ``HarvestReport``; ``harvest.status(home)`` a ``StatusReport``.
Only ``harvest.client`` talks to arXiv.
"""

from .download import DownloadOutcome
from .run import HarvestReport, QueryReport, run
from .status import StatusReport, status

__all__ = ["DownloadOutcome", "HarvestReport", "QueryReport", "StatusReport", "run", "status"]
