"""Adapters: the store, object storage, Discord REST, UEX and PDF behind the ports."""
