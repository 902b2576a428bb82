"""localstripe on one address, in memory, with Stripe's idempotency keys and declining test card.

localstripe's own entry point binds every interface (`::`) and pickles its whole store to
/tmp/localstripe.pickle after every write, reloading it at start: another run's (or another
developer's) leftovers, and a file every instance on the machine shares. Here it serves only
the given address and keeps everything in memory.

Two gaps with Stripe that the payment adapter's tests meet are filled in:

- Idempotency keys. localstripe ignores `Idempotency-Key`; Stripe replays the first answer of a
  key (a decline too), answers 409 while the first request is still running and 400 when the
  key comes back with other parameters. The middleware below does the same, per API key.
- `pm_card_visa_chargeDeclined` (card 4000000000000002). localstripe declines that card only when
  it is attached to a customer and charges it fine; Stripe declines the charge, "Your card was
  declined.", as for card 4000000000000341.

Usage: python scripts/localstripe_server.py -p PORT
"""

import argparse

from aiohttp import web
from localstripe import resources, server

# The card behind `pm_card_visa_chargeDeclined`.
GENERIC_DECLINE_CARD = "4000000000000002"


def keep_store_in_memory() -> None:
    resources.Store.dump_to_disk = lambda self: None


def decline_generic_decline_card() -> None:
    charging_is_declined = resources.PaymentMethod._charging_is_declined

    def patched(self):
        if self.type == "card" and self._card_number == GENERIC_DECLINE_CARD:
            return True
        return charging_is_declined(self)

    resources.PaymentMethod._charging_is_declined = patched


def error_response(status: int, error_type: str, message: str) -> web.Response:
    body = {"error": {"type": error_type, "message": message}}
    return web.json_response(body, status=status)


def idempotency_middleware():
    # (Authorization header, Idempotency-Key) -> (method, path, body, status, answer, content type)
    saved = {}
    running = set()

    @web.middleware
    async def middleware(request, handler):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        scope = (request.headers.get("Authorization", ""), key)
        # aiohttp keeps the body it read, so the handlers behind still get it.
        fingerprint = (request.method, request.path, await request.read())
        if scope in saved:
            first = saved[scope]
            if first[:3] != fingerprint:
                return error_response(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            status, answer, content_type = first[3:]
            return web.Response(
                status=status, body=answer, content_type=content_type, headers={"Idempotent-Replayed": "true"}
            )
        if scope in running:
            return error_response(409, "idempotency_error", "A request with this idempotency key is running.")
        running.add(scope)
        try:
            response = await handler(request)
        finally:
            running.discard(scope)
        # As Stripe: a request that ran (succeeded or was declined) is saved; one refused
        # before running (authentication, validation, not found) is not, so a retry may pass.
        if response.status in (200, 402):
            saved[scope] = (*fingerprint, response.status, response.body, response.content_type)
        return response

    return middleware


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    keep_store_in_memory()
    decline_generic_decline_card()
    # Outermost, before localstripe's error middleware: it sees declines as the 402 responses
    # that middleware makes of them.
    server.app.middlewares.insert(0, idempotency_middleware())
    web.run_app(server.app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
