"""The report's files from its data: the PDF, the CSV and the JSON. Imports the renderers at run
time, so that fpdf2 loads only where a report is built (the reports function), never with the app
(whose builds leave the renderers out)."""

from __future__ import annotations

from sunday_mining.reports.model import ReportData


def render_files(data: ReportData) -> tuple[bytes, bytes]:
    from sunday_mining.reports.csv_export import render_csv
    from sunday_mining.reports.pdf import render_pdf

    return render_pdf(data), render_csv(data)


def render_json_file(data: ReportData) -> bytes:
    from sunday_mining.reports.json_export import render_json

    return render_json(data)
