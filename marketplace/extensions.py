"""Extension objects, created unbound; create_app() binds them."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from marketplace.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Fixed for every app of the process (Flask-Limiter keeps the first value it is given); the
# per-deployment settings come from the app's config (storage and enabled: each app's; headers and
# their names: the first enabled app's, as Flask-Limiter keeps them): security.py.
limiter = Limiter(key_func=get_remote_address, default_limits=[], strategy="fixed-window",
                  retry_after="delta-seconds", swallow_errors=False, fail_on_first_breach=True)
