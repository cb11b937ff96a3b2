"""Dataset regeneration and the scaling-law analysis of Thompson et al. (2020), arXiv:2007.05558.

``build`` (reviewed facts → tidy dataset), ``fit`` (Tables 1–4, Figure 8), ``extrapolate`` (Figure 4),
``simulate`` (Section 2, Figure 1), ``figures`` and ``report`` (results.json, extrapolation.csv,
report.md/.html) and ``workers`` (analyze's helper processes). Methods and conventions: docs/analysis.md.
"""
