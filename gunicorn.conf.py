"""gunicorn settings shared by the Procfile and the deployment tests (`--config gunicorn.conf.py`)."""
import os
import socket
import threading
from concurrent import futures

from gunicorn.workers import gthread
from gunicorn.workers.gthread import ThreadWorker

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A slider move sends six requests at once, and a request for a sensitivity curve waits 1-2 s under
# load on the curve's low-priority thread: with 8 threads per worker, 20 sessions' cheap requests
# still queued behind those waits (slider p95 303 and 507 ms; with 16, 134-167 ms in five runs, for
# about 20 MB more per worker).
threads = 16
timeout = 120
preload_app = True
# A worker is replaced after this many requests, so memory taken by a large upload or job result
# returns to the system; the jitter keeps workers from restarting all at once.
max_requests = int(os.environ.get("MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 5


class HealthFirstWorker(ThreadWorker):
    """gunicorn's threaded worker, but `GET /health` has a thread of its own: a load balancer's
    check never waits behind callbacks that keep every other thread busy (it took 13 s under
    load). A new connection whose first bytes have not arrived yet waits on the poller, as
    gunicorn does for slow clients, and is looked at again when they come (taken the usual way,
    such a check waited 10 s behind busy threads). A stopping worker (recycled after its
    requests) polls no more: gunicorn would close such a connection unanswered, so it goes to a
    request thread, which waits for its bytes."""

    def init_process(self):
        self.health_pool = futures.ThreadPoolExecutor(max_workers=1)
        super().init_process()

    def enqueue_req(self, conn):
        start = first_bytes(conn.sock)
        if start is None and self.alive and not conn.initialized and not conn.data_ready:
            self.finish_request(conn, deferred())
        elif start and start.startswith(b"GET /health "):
            done = self.health_pool.submit(self.handle, conn)
            done.add_done_callback(lambda fut: self.method_queue.defer(self.finish_request, conn, fut))
        else:
            super().enqueue_req(conn)


def first_bytes(sock) -> bytes | None:
    """A look at the request line without taking it off the socket, and without waiting; None
    when nothing has arrived yet."""
    try:
        return sock.recv(16, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None
    except (OSError, ValueError):
        return b""


def deferred() -> futures.Future:
    """What gunicorn's own handler answers for a connection that sent nothing yet."""
    answer = futures.Future()
    answer.set_result(gthread._DEFER)
    return answer


worker_class = HealthFirstWorker


def post_fork(server, worker):
    """Start this worker's fork server for background jobs at boot, in the background, instead of
    on its first job (which then waited 6–13 s while the server imported the app)."""
    import multiprocess
    import multiprocess.forkserver

    if multiprocess.get_start_method(allow_none=True) == "forkserver":
        threading.Thread(target=multiprocess.forkserver.ensure_running, daemon=True).start()
