"""HTTP services: authentication and the game API (Falcon apps for gunicorn)."""
