"""Payroll reports, one feature: ``service`` asks for a report (a job), builds it once per
payroll version, stores it and delivers it once per request; ``data`` turns a payroll into the
report's data (``model``, standard library only); ``files`` renders it (``pdf``, ``csv_export``;
``json_export`` for programs); ``delivery`` and ``sending`` post it to Discord through the port;
``links`` signs the durable links. ``sample.sample_report`` makes a realistic one for tests,
benchmarks and docs. Nothing is imported here on purpose: fpdf2 is heavy and is loaded only by
``pdf``, never on the interactions path.
"""
