"""Imports every model module so the metadata (migrations, create_all) is complete.

Each feature adds its line here.
"""

from marketplace.accounts import models as accounts_models  # noqa: F401
from marketplace.api import models as api_models  # noqa: F401
from marketplace.cases import models as cases_models  # noqa: F401
from marketplace.communities import models as communities_models  # noqa: F401
from marketplace.files import models as files_models  # noqa: F401
from marketplace.forums import models as forums_models  # noqa: F401
from marketplace.knowledge import models as knowledge_models  # noqa: F401
from marketplace.ledger import models as ledger_models  # noqa: F401
from marketplace.main import models as main_models  # noqa: F401
from marketplace.mentoring import models as mentoring_models  # noqa: F401
from marketplace.notifications import models as notifications_models  # noqa: F401
from marketplace.ops import models as ops_models  # noqa: F401
from marketplace.projects import models as projects_models  # noqa: F401
from marketplace.search import models as search_models  # noqa: F401
from marketplace.sponsorship import models as sponsorship_models  # noqa: F401
