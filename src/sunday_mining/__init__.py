"""Sunday Mining: voice-tracked mining ops and their payrolls, for Discord."""

__version__ = "0.1.0"
