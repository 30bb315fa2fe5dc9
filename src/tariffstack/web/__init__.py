"""The web app and HTTP API (FastAPI): a thin shell over tariffstack.api.Engine."""
