"""Pure domain rules: no FastAPI, SQLAlchemy or web3 imports here."""
