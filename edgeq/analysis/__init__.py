"""What a model holds and how far an integer model departs from its float original: inspection,
evaluation on the user's data, per-layer error and per-layer sensitivity."""
