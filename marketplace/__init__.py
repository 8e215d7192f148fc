"""marketplace: share what works, find it, adapt it, discuss it, and get it funded."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

import marketplace.models  # noqa: F401  (complete metadata before anything binds)
from marketplace import auth, cli, database, errorpages, gate, i18n, ops, search, security, settings, templating
from marketplace.accounts import outbox
from marketplace.accounts import services as accounts_services
from marketplace.accounts.admin_views import bp as admin_bp
from marketplace.accounts.organization_views import bp as organizations_bp
from marketplace.accounts.views import bp as accounts_bp
from marketplace.api import community as api_community  # noqa: F401  (adds its routes to api_bp)
from marketplace.api import knowledge as api_knowledge  # noqa: F401  (adds its routes to api_bp)
from marketplace.api import money as api_money  # noqa: F401  (adds its routes to api_bp)
from marketplace.api import search_api  # noqa: F401  (adds its routes to api_bp)
from marketplace.api.feeds import bp as feeds_bp
from marketplace.api.opendata import bp as opendata_bp
from marketplace.api.token_views import bp as tokens_bp
from marketplace.api.views import bp as api_bp
from marketplace.cases import importer as cases_importer
from marketplace.cases import services as cases_services
from marketplace.cases.benchmark_views import bp as benchmarks_bp
from marketplace.cases.views import bp as cases_bp
from marketplace.communities.views import bp as communities_bp
from marketplace.communities.views import register_page_part as add_to_community_page
from marketplace.extensions import babel, csrf, db, login_manager, migrate
from marketplace.files import kinds as file_kinds
from marketplace.files import views as files_views
from marketplace.forums import services as forums_services
from marketplace.forums.moderation_views import bp as moderation_bp
from marketplace.forums.views import bp as forums_bp
from marketplace.knowledge import services as knowledge_services
from marketplace.knowledge.import_views import bp as imports_bp
from marketplace.knowledge.views import bp as knowledge_bp
from marketplace.main.views import bp as main_bp
from marketplace.mentoring import directory
from marketplace.mentoring.views import bp as mentoring_bp
from marketplace.notifications import services as notifications_services
from marketplace.notifications.views import bp as notifications_bp
from marketplace.projects.views import bp as projects_bp
from marketplace.projects.views import register_page_part as add_to_project_page
from marketplace.search.views import bp as search_bp
from marketplace.shell import shell_context
from marketplace.sponsorship import check as sponsorship_check
from marketplace.sponsorship import services as sponsorship_services
from marketplace.sponsorship import transparency_views  # adds its routes to projects_bp
from marketplace.sponsorship.host_views import bp as hosts_bp
from marketplace.sponsorship.views import bp as sponsorship_bp

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "MARKETPLACE_INSTANCE_PATH", str(ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    settings.load(app, test_config)
    _init_extensions(app)
    _connect_layers()
    _register_blueprints(app)
    _register_hooks(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            database.ping_when_idle(engine, float(app.config["DB_PING_AFTER_IDLE_SECONDS"]))
    migrate.init_app(app, db, directory=str(ROOT / "marketplace" / "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.request_locale)
    security.init_limiter(app)
    login_manager.init_app(app)
    auth.configure(login_manager)


class _BoundedInt(IntegerConverter):
    """`<int:…>` ids of at most 9 digits, so they always fit an INTEGER column: a longer number is a
    404 from the matcher itself, never a database driver error (nor Werkzeug's 405 quirk that a
    converter ValidationError triggers)."""

    regex = r"\d{1,9}"


def _connect_layers() -> None:
    """Lower layers react to higher ones through signals and registries, never imports; the
    higher ones fill them here (each call is idempotent, so several apps in one process are fine)."""
    sponsorship_check.register_checks()  # `ledger check` also verifies pledges and project columns
    sponsorship_services.connect_signals()  # a closed project refunds, a verified objective pays
    forums_services.connect_signals()  # a new community gets its default categories
    add_to_community_page("forums", forums_services.community_page)  # its threads, categories
    add_to_project_page("sponsorship", transparency_views.project_page_part)  # the sponsors
    accounts_services.connect_signals()  # a refused request is audited (marketplace.web)
    outbox.register(notifications_services.queue_templated_email)  # account mail (reset, confirm)
    outbox.register_notice(notifications_services.account_notice)  # e.g. an organization invitation
    directory.use_people_search(search.people_or_none)  # experts by stemmed expertise and work
    # What files attach to; a practice's or case study's file changes are revisions.
    file_kinds.register_all(practice_changed=knowledge_services.record_file_change,
                            case_changed=cases_services.record_file_change)
    cases_importer.register()  # the importer's "cases" kind: knowledge sits below cases


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = _BoundedInt
    app.register_blueprint(main_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(opendata_bp)
    app.register_blueprint(mentoring_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(knowledge_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(benchmarks_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(communities_bp)
    app.register_blueprint(forums_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(sponsorship_bp)
    app.register_blueprint(hosts_bp)
    app.register_blueprint(files_views.bp)


def _register_hooks(app: Flask) -> None:
    security.init_app(app)
    app.teardown_request(accounts_services.write_deferred_refusals)
    gate.init_app(app)
    files_views.init_app(app)
    errorpages.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    app.shell_context_processor(shell_context)
    ops.init_app(app)
