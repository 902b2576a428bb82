"""The API reference (/docs) and GraphiQL (/graphql) work in a real browser, offline.

Starts headless Chromium and drives it over the DevTools protocol against a running API:

1. /docs renders one operation block per operation of /openapi.json;
2. "Try it out" on GET /health, through the page's own buttons, gets a 200; then a bearer
   token (of a user this registers through the API) entered with "Authorize" gets GET /users/me
   a 200 with that user;
3. /graphql renders GraphiQL, running its default query (`{ __typename }`) shows the result,
   and its settings dialog opens and closes.

Throughout, no console error, no uncaught exception, no failed request, and no request to
anywhere but BASE_URL (or a data: URL): the pages must need no CDN. Screenshots of both pages
go to SCREENSHOT_DIR (docs.png, graphiql.png). Everything is bounded by 60 s.

Usage: python scripts/browser_check.py BASE_URL SCREENSHOT_DIR
Needs `chromium` (Debian: apt-get install -y --no-install-recommends chromium) and
websocket-client (scripts/requirements-test.txt).
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websocket

TOTAL_SECONDS = 60
VIEWPORT = {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# No proxy: an HTTP(S)_PROXY from the environment must not intercept loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CheckFailed(Exception):
    """A check that did not hold; the message says which."""


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise CheckFailed(f"not done within {TOTAL_SECONDS} s")
        return left


class Page:
    """One page target over CDP, recording what the checks care about as events arrive."""

    def __init__(self, ws_url, base_url, deadline):
        self.base_url = base_url
        self.deadline = deadline
        self.ws = websocket.create_connection(ws_url, timeout=deadline.left(), suppress_origin=True)
        self.next_id = 0
        self.console = []  # every console message, for the failure report
        self.problems = []  # errors, exceptions, failed or foreign requests
        self.urls = {}  # request id -> URL

    def close(self):
        self.ws.close()

    def call(self, method, **params):
        self.next_id += 1
        call_id = self.next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = self._receive(self.deadline.left())
            if message is None:
                continue
            if message.get("id") == call_id:
                if "error" in message:
                    raise CheckFailed(f"{method}: {message['error']}")
                return message.get("result", {})
            self._record(message)

    def pump(self, seconds):
        """Takes in the events that arrive within `seconds`."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            message = self._receive(min(left, self.deadline.left()))
            if message is not None:
                self._record(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CheckFailed(f"evaluating {expression!r}: {details.get('exception', {}).get('description') or details}")
        return result["result"].get("value")

    def wait_for(self, expression, what):
        """Polls `expression` until it is truthy; its last value goes into the failure."""
        value = None
        try:
            while not (value := self.evaluate(expression)):
                self.pump(0.1)
        except CheckFailed as err:
            raise CheckFailed(f"waiting for {what} (last value {value!r}): {err}") from None
        return value

    def click(self, expression, what):
        """Waits for the element `expression` finds, scrolls to it and clicks it."""
        self.wait_for(f"!!({expression})", what)
        self.evaluate(f"(() => {{ const el = {expression}; el.scrollIntoView({{block: 'center'}}); el.click(); }})()")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def _receive(self, timeout):
        self.ws.settimeout(timeout)
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None

    def _record(self, message):
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(describe(arg) for arg in params.get("args", []))
            self.console.append(f"console.{params.get('type')}: {text}")
            if params.get("type") in ("error", "assert"):
                self.problems.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            self.problems.append(f"uncaught exception: {text}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            line = f"log {entry.get('level')} ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip()
            self.console.append(line)
            if entry.get("level") == "error":
                self.problems.append(line)
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            self.urls[params.get("requestId")] = url
            if not (url == self.base_url or url.startswith(self.base_url + "/") or url.startswith("data:")):
                self.problems.append(f"request to another origin: {url}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            url = self.urls.get(params.get("requestId"), "?")
            reason = params.get("blockedReason") or params.get("errorText")
            self.problems.append(f"request failed: {url}: {reason}")
        elif method == "Network.responseReceived":
            response = params.get("response", {})
            if response.get("status", 0) >= 400:
                self.problems.append(f"request answered {response['status']}: {response.get('url')}")


def describe(remote_object):
    if "value" in remote_object:
        return str(remote_object["value"])
    return remote_object.get("description") or remote_object.get("type", "?")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url, timeout):
    try:
        with OPENER.open(url, timeout=timeout) as response:
            return json.load(response)
    except OSError as err:
        raise CheckFailed(f"GET {url}: {err}") from None


def post_json(url, body, timeout):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        raise CheckFailed(f"POST {url} answered {err.code}: {err.read()[:300]!r}") from None


def start_chromium(profile, deadline):
    """Chromium headless with its DevTools port; the page target's WebSocket URL."""
    executable = shutil.which("chromium")
    if executable is None:
        raise CheckFailed("no `chromium` on PATH (Debian: apt-get install -y --no-install-recommends chromium)")
    port = free_port()
    process = subprocess.Popen(
        [
            executable,
            "--headless=new",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-breakpad",
            "--no-first-run",
            "--no-default-browser-check",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its temporary and configuration files too go where the profile goes, removed with it.
        env={**os.environ, "TMPDIR": profile, "XDG_CONFIG_HOME": profile, "XDG_CACHE_HOME": profile},
        # Its own process group: stopped with its helpers, and by our signal only.
        start_new_session=True,
    )
    try:
        while True:
            if process.poll() is not None:
                raise CheckFailed(f"chromium exited with {process.returncode} during start-up")
            try:
                with OPENER.open(f"http://127.0.0.1:{port}/json/list", timeout=1) as response:
                    targets = json.load(response)
                pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
                if pages:
                    return process, pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass  # not listening yet
            deadline.left()
            time.sleep(0.1)
    except BaseException:
        stop_chromium(process)
        raise


def stop_chromium(process):
    """Stops the browser: a SIGTERM lets it end and reap its helpers; whatever is left of the
    process group it leads (which only it and they are in) is killed."""
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def expect_no_problems(page, stage):
    page.pump(0.3)
    if page.problems:
        raise CheckFailed(f"{stage}: " + "; ".join(page.problems))


def operation(method, path):
    """The JavaScript expression of Swagger UI's block for `method path`."""
    return (
        f"[...document.querySelectorAll('.opblock.opblock-{method}')]"
        f".find(op => op.querySelector('.opblock-summary-path')?.dataset.path === '{path}')"
    )


def try_it_out(page, method, path):
    """Expands `method path`, clicks "Try it out" and "Execute"; the live response's status."""
    block = operation(method, path)
    page.click(f"{block}?.querySelector('.opblock-summary-control')", f"the {method.upper()} {path} block")
    page.click(f"{block}?.querySelector('.try-out__btn')", f'the "Try it out" button of {path}')
    page.click(f"{block}?.querySelector('.btn.execute')", f'the "Execute" button of {path}')
    statuses = (
        f"[...({block}).querySelectorAll('.live-responses-table tr.response .response-col_status')]"
        ".map(cell => cell.textContent.trim()).join(' ')"
    )
    return page.wait_for(statuses, f"the live response of {method.upper()} {path}")


def signed_up_token(base_url, deadline):
    """The access token of a fresh user, registered and signed in through the API itself."""
    email = f"browser-check-{os.getpid()}-{time.time_ns()}@example.com"
    password = "browser-check-password"
    user = {"email": email, "password": password, "firstName": "Browser", "lastName": "Check"}
    post_json(base_url + "/auth/register", user, deadline.left())
    tokens = post_json(base_url + "/auth/login", {"email": email, "password": password}, deadline.left())
    return email, tokens["accessToken"]


def check_docs(page, screenshot):
    document = get_json(page.base_url + "/openapi.json", timeout=page.deadline.left())
    operations = sum(1 for item in document["paths"].values() for method in item if method in METHODS)
    page.call("Page.navigate", url=page.base_url + "/docs")
    count = "document.querySelectorAll('#swagger-ui .opblock').length"
    page.wait_for(f"{count} >= {operations} && {count}", f"{operations} operations in /docs")
    rendered = page.evaluate(count)
    if rendered != operations:
        raise CheckFailed(f"/docs shows {rendered} operations, /openapi.json has {operations}")
    print(f"/docs: {rendered} operations rendered, as in /openapi.json")

    status = try_it_out(page, "get", "/health")
    if status != "200":
        raise CheckFailed(f'"Try it out" on GET /health answered {status!r}, not 200')
    print(f'/docs: "Try it out" on GET /health answered {status}')

    # A bearer token through "Authorize", then a route that needs it.
    email, token = signed_up_token(page.base_url, page.deadline)
    page.click("document.querySelector('.btn.authorize')", 'the "Authorize" button')
    page.click("document.querySelector('.dialog-ux #auth-bearer-value')", "the bearer token field")
    page.call("Input.insertText", text=token)
    page.click("document.querySelector('.dialog-ux button.authorize')", "the dialog's Authorize button")
    page.click("document.querySelector('.dialog-ux .btn-done')", "the dialog's Close button")
    status = try_it_out(page, "get", "/users/me")
    body = page.evaluate(f"({operation('get', '/users/me')}).querySelector('.live-responses-table tr.response').innerText")
    if status != "200" or email not in body:
        raise CheckFailed(f'"Try it out" on GET /users/me with the token answered {status!r}: {body[:300]!r}')
    print(f'/docs: "Authorize" with a bearer token, then GET /users/me answered {status} with the user')

    expect_no_problems(page, "/docs")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(screenshot)


def check_graphiql(page, screenshot):
    page.call("Page.navigate", url=page.base_url + "/graphql")
    editor = "document.querySelector('.graphiql-container .graphiql-query-editor .CodeMirror')"
    page.wait_for(f"!!{editor}", "GraphiQL's query editor")
    query = page.evaluate(f"{editor}.CodeMirror.getValue()")
    if "__typename" not in query:
        raise CheckFailed(f"GraphiQL's default query is not the expected {{ __typename }}: {query!r}")
    print("/graphql: GraphiQL rendered with its default query")
    page.click("document.querySelector('.graphiql-execute-button')", "GraphiQL's execute button")
    result = "(document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() ?? '')"
    value = page.wait_for(f"{result}.includes('\"__typename\"') && {result}", "the result of the query")
    print("/graphql: the query answered " + " ".join(value.split()))
    # A dialog: its scroll lock is the one inline style the page's policy allows (by hash).
    page.click("document.querySelector('.graphiql-sidebar button[aria-label=\"Open settings dialog\"]')", "settings")
    page.wait_for("!!document.querySelector('.graphiql-dialog')", "the settings dialog")
    page.click("document.querySelector('.graphiql-dialog-close')", "the dialog's close button")
    page.wait_for("!document.querySelector('.graphiql-dialog')", "the settings dialog to close")
    print("/graphql: the settings dialog opened and closed")
    expect_no_problems(page, "/graphql")
    page.screenshot(screenshot)


def on_alarm(*_):
    raise CheckFailed(f"still running after {TOTAL_SECONDS} s")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    base_url = sys.argv[1].rstrip("/")
    screenshots = sys.argv[2]
    os.makedirs(screenshots, exist_ok=True)
    deadline = Deadline(TOTAL_SECONDS)
    # A last guard in case a call blocks past its own timeout.
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TOTAL_SECONDS + 5)
    profile = tempfile.mkdtemp(prefix="browser-check-")
    process = page = None
    try:
        process, ws_url = start_chromium(profile, deadline)
        page = Page(ws_url, base_url, deadline)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", **VIEWPORT)
        check_docs(page, os.path.join(screenshots, "docs.png"))
        check_graphiql(page, os.path.join(screenshots, "graphiql.png"))
    except (CheckFailed, OSError, websocket.WebSocketException) as err:
        print(f"browser check FAILED: {err}", file=sys.stderr)
        if page is not None and page.problems:
            print("problems seen so far:", file=sys.stderr)
            for line in page.problems:
                print(f"  {line}", file=sys.stderr)
        if page is not None and page.console:
            print("console:", file=sys.stderr)
            for line in page.console:
                print(f"  {line}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        if page is not None:
            page.close()
        stop_chromium(process)
        shutil.rmtree(profile, ignore_errors=True)
    print(f"browser check passed; screenshots in {screenshots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
