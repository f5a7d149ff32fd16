"""LGS Explorer's core: ingest, store, queries, RFM, reports. Imports no streamlit."""
