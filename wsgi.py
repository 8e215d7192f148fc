"""WSGI entry point for production servers: `gunicorn -w 2 'wsgi:app'`.

Configuration comes from MARKETPLACE_* environment variables and instance/config.py
(see README.md); with MARKETPLACE_PRODUCTION=true the app refuses to start without a
strong MARKETPLACE_SECRET_KEY.
"""

from marketplace import create_app

app = create_app()
