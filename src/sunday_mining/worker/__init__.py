"""The voice worker: holds the gateway connection and reports voice presence to the app.

The contract with the app is docs/worker-protocol.md. `protocol` is pure and imported by the app
too, so this package's ``__init__`` imports nothing (no discord, no httpx on the app's path).
"""
