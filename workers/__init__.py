"""Celery app and task plumbing. Import the app as ``from workers.celery import app``."""
