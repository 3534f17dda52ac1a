"""Sunday Mining's development tools, beside the runtime package and never shipped with it: the
local Discord simulator (signed interactions, a REST sink), the fake Discord gateway the voice
worker connects to in tests, and the demo that plays a whole op through both.

Installed with the ``dev`` extra; ``make demo`` and the tests use them. The runtime package
(``sunday_mining``) never imports this one.
"""
