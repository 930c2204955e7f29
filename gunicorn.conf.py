"""gunicorn settings shared by the Procfile and the deployment tests (`--config gunicorn.conf.py`)."""
import os
import threading

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 4
timeout = 120
preload_app = True
# A worker is replaced after this many requests, so memory taken by a large upload or job result
# returns to the system; the jitter keeps workers from restarting all at once.
max_requests = int(os.environ.get("MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 5


def post_fork(server, worker):
    """Start this worker's fork server for background jobs at boot, in the background, instead of
    on its first job (which then waited 6–13 s while the server imported the app)."""
    import multiprocess
    import multiprocess.forkserver

    if multiprocess.get_start_method(allow_none=True) == "forkserver":
        threading.Thread(target=multiprocess.forkserver.ensure_running, daemon=True).start()
