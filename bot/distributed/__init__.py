"""Distributed mode: Celery carries message ids from the app to any number of workers."""
