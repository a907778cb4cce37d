"""Streamlit glue shared by pages: the page frame, the cached store, shared widgets."""
