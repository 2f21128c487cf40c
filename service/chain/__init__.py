"""Everything that talks to the chain: the local Anvil, compilation, deployment, transactions, logs."""
