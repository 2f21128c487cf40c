"""Chain indexing: the indexer and the projection protocol features implement."""
