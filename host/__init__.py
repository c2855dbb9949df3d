"""The PSA host (Flask application)."""
