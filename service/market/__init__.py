"""Model 2: offerings of dynamic-discount yield tokens, primary and secondary markets, redemption at
maturity, portfolios and market figures."""
