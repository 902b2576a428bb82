"""moto_server, one request at a time.

DynamoDB applies every single-item write atomically (a conditional put, an ADD). moto's
server handles requests on threads and reads, checks and writes an item without a lock, so
two concurrent ADDs can both read the old value. Serving one request at a time gives moto the
per-item atomicity of the real service; the tests still send their requests concurrently, so
a missing condition in our adapter still shows (every racing write would succeed).

One request at a time also means one connection at a time: a client that opens a connection
and sends nothing on it (an HTTP client whose request was cancelled while it connected keeps
that connection in its pool, idle) would hold the server until the client drops it, 90 s later.
So a connection that sends nothing for IDLE_SECONDS is closed; a client finds it closed and
opens another.

Usage: python scripts/moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import faulthandler
import os
import signal

from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


# How long a connection may wait before its request arrives (every request of the tests is
# sent at once; moto answers the slowest in well under a second).
IDLE_SECONDS = 2


class OneAtATimeHandler(MotoRequestHandler):
    """Closes a connection that sends nothing within IDLE_SECONDS (see the module doc)."""

    timeout = IDLE_SECONDS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # `kill -USR1 <pid>` prints where every thread is (to stderr): how a stuck emulator is
    # diagnosed.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # moto builds SQS queue URLs from this, as its own entry point does.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=False, request_handler=OneAtATimeHandler)


if __name__ == "__main__":
    main()
