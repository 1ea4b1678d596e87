"""Edge sync benchmark: ``python -m bench.edge`` (see __main__)."""
