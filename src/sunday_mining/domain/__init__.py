"""The domain core: plain Python, standard library only."""
