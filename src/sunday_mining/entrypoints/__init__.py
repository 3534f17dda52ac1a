"""One composition root per deployable; each reads ``Settings`` once and builds what it needs
from the shared factories (``factories.py``, ``report_factories.py``):

- ``interactions_lambda``: the interactions function (Discord, the worker's API, report links);
- ``pricing_lambda``: the scheduled UEX price refresh;
- ``reports_lambda``: the report and notice jobs;
- ``local_server``: ``sunday-mining serve``, the embedded default on one machine;
- ``cli``: the ``sunday-mining`` command;
- ``worker``: the voice worker.

Nothing outside this package imports it (the functions' handler files and the console script
do).
"""
