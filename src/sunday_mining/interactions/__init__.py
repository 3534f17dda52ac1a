"""Discord interactions: parse the signed payload, route it, render the answer."""
