"""Payroll reports: the PDF the org keeps and the CSV officers settle from.

``model`` is the data contract (standard library only); ``pdf.render_pdf`` and
``csv_export.render_csv`` turn a ``ReportData`` into bytes; ``sample.sample_report`` makes a
realistic one for tests, benchmarks and docs. Nothing is imported here on purpose: fpdf2 is heavy
and is loaded only by ``reports.pdf``, never on the interactions path.
"""
