"""moto_server, one request at a time.

DynamoDB applies every single-item write atomically (a conditional put, an ADD). moto's
server handles requests on threads and reads, checks and writes an item without a lock, so
two concurrent ADDs can both read the old value. Serving one request at a time gives moto the
per-item atomicity of the real service; the tests still send their requests concurrently, so
a missing condition in our adapter still shows (every racing write would succeed).

Usage: python scripts/moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import os

from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # moto builds SQS queue URLs from this, as its own entry point does.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
