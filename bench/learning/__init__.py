"""Learning from corrections: a stream of unseen supplier layouts and a simulated clerk."""
