"""The single table's declared shape, its migrations and its health check."""
