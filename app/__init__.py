"""The Dash app: one instance, its pages, and the infrastructure it runs on.

Only this module knows about the deployment: the background-job manager (disk cache on one
machine, Celery + Redis when REDIS_URL is set), the secret key and the request size limit.
`gunicorn app:server` serves it; `python -m app` runs it for one user.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import diskcache
import multiprocess
from dash import Dash
from flask import Response

from engine import Settings, allocate, default_threshold
from engine.io.template import template_file
from engine.sensitivity import sensitivity

from .api import register_api
from .banners import report_server_trouble
from .config import Config
from .jobs import JOB_TIME_LIMIT_SECONDS, CeleryJobs, DiskcacheJobs
from .layout import shell
from .security import protect, refuse_malformed_callback
from .services import services
from .store import demo_dataset

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("slicer", "comparison", "audit")


def create_celery(config: Config):
    """The Celery app of a scaled-out deployment (`celery -A app:celery_app worker`), else None."""
    if not config.redis_url:
        return None
    from celery import Celery

    celery = Celery(__name__, broker=config.redis_url, backend=config.redis_url)
    celery.conf.update(  # a job is killed past its limit, and a Redis outage fails fast
        task_soft_time_limit=JOB_TIME_LIMIT_SECONDS, task_time_limit=JOB_TIME_LIMIT_SECONDS + 30,
        broker_connection_timeout=3, broker_connection_retry_on_startup=True,
        broker_transport_options={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
        redis_socket_timeout=3, redis_socket_connect_timeout=3,
        result_backend_transport_options={"retry_policy": {"timeout": 3.0}},
        worker_prefetch_multiplier=1, task_acks_late=False,
    )
    return celery


def create_app(config: Config, celery=None) -> Dash:
    app = Dash(__name__, use_pages=True, pages_folder="", assets_folder=str(ROOT / "assets"),
               suppress_callback_exceptions=True, title="Territory Slicer", update_title=None,
               background_callback_manager=background_manager(config, celery), health_endpoint="health",
               on_error=report_server_trouble)
    for page in PAGES:
        importlib.import_module(f"{__name__}.pages.{page}")
    app.server.secret_key = config.secret_key
    app.server.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    protect(app.server, config, app.csp_hashes, lambda name, seconds: services().store.count(name, seconds))
    serve_templates(app.server)
    register_api(app.server)
    app.server.before_request(lambda: refuse_malformed_callback(app.callback_map))
    app.layout = shell
    warm_up(app)
    return app


def serve_templates(server) -> None:
    """The template files (DATA.md) at /template/<name>, behind the same sign-in as the pages."""
    def template(name: str):
        data = template_file(name)
        if data is None:
            return Response("No such template.", 404)
        kind = "text/csv" if name.endswith(".csv") else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(data, mimetype=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    server.add_url_rule("/template/<name>", "template", template)


def background_manager(config: Config, celery):
    """Celery + Redis when the app is scaled out, a disk cache on one machine."""
    if celery is not None:
        return CeleryJobs(celery, expire=3600)
    start_jobs_from_a_clean_process()
    return DiskcacheJobs(diskcache.Cache(str(config.cache_dir / "jobs")), expire=3600)


def start_jobs_from_a_clean_process() -> None:
    """DiskcacheManager starts each job as a new process. Forked straight from a threaded web
    server, a job can inherit a lock (SQLite's, logging's) that another thread held at that
    moment and wait on it forever. A fork server, started once with the app imported and no
    request threads, forks every job instead: jobs start clean, and just as fast."""
    multiprocess.set_start_method("forkserver", force=True)
    multiprocess.set_forkserver_preload([__name__])


def warm_up(app: Dash) -> None:
    """Load the compiled kernels now, so the first user does not wait for them, and let Dash set
    itself up with one request: it does so on a worker's first request, and requests arriving
    together with that one could find its callback map half built (a 500 under load)."""
    dataset = demo_dataset()
    settings = Settings(default_threshold(dataset))
    allocate(dataset, settings)
    sensitivity(dataset, settings)
    app.server.test_client().get("/health")


celery_app = create_celery(services().config)
app = create_app(services().config, celery_app)
server = app.server
