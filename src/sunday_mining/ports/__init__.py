"""Small abstract ports the services depend on; adapters implement them."""
