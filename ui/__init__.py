"""The Streamlit app (``ui/app.py``); reads the worker's HTTP API only."""

__all__: list[str] = []
