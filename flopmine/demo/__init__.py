"""The demo and test kit: a generated corpus, sample PDFs, a loopback fake arXiv and the demo runner.

None of this is needed to harvest, extract, review or analyse real papers; it lives apart from the core so
that a newcomer looking for the record types and the store does not step around a corpus generator.

- ``corpus``: the generated demo papers (reportlab PDFs with known facts) and the scripted reviewer's decisions
- ``samplepdf``: a small reportlab writer for headings, paragraphs and tables
- ``fakearxiv``: a real HTTP server on loopback serving Atom feeds and PDFs, with fault injection
- ``runner``: ``flopmine demo``, harvest → extract → review → build → analyze offline
"""
