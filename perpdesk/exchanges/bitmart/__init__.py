"""bitmart."""
