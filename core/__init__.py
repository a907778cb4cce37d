"""Clinical rules, scoring and storage: pure Python, no Streamlit."""
