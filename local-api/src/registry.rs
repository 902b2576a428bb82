//! The handlers this process can run, by binary name: the same `handle` functions the
//! Lambda binaries call. Start-up matches them against `template.yaml` both ways.

use futures::future::BoxFuture;
use shared::App;
use shared::http::{HandlerResult, Request};

/// An HTTP handler.
pub type HttpHandler = fn(&'static App, Request) -> BoxFuture<'static, HandlerResult>;

/// A scheduled job; the error text is logged.
pub type ScheduledHandler = fn(&'static App) -> BoxFuture<'static, Result<(), String>>;

/// What kind of function a binary is.
#[derive(Clone, Copy)]
pub enum Handler {
    Http(HttpHandler),
    Scheduled(ScheduledHandler),
}

/// Every function this build knows, by binary name.
pub fn handlers() -> Vec<(&'static str, Handler)> {
    vec![
        ("health", Handler::Http(|_, req| Box::pin(health::handle(req)))),
        ("openapi", Handler::Http(|_, req| Box::pin(openapi::handle(req)))),
        (
            "register",
            Handler::Http(|app, req| Box::pin(register::handle(app, req))),
        ),
        ("login", Handler::Http(|app, req| Box::pin(login::handle(app, req)))),
        ("refresh", Handler::Http(|app, req| Box::pin(refresh::handle(app, req)))),
        ("logout", Handler::Http(|app, req| Box::pin(logout::handle(app, req)))),
        ("get-me", Handler::Http(|app, req| Box::pin(get_me::handle(app, req)))),
        (
            "update-me",
            Handler::Http(|app, req| Box::pin(update_me::handle(app, req))),
        ),
        (
            "get-user",
            Handler::Http(|app, req| Box::pin(get_user::handle(app, req))),
        ),
        (
            "deadline-sweeper",
            Handler::Scheduled(|app| {
                Box::pin(async move {
                    deadline_sweeper::sweep(app)
                        .await
                        .map(|_| ())
                        .map_err(|err| err.to_string())
                })
            }),
        ),
        (
            "outbox-relay",
            Handler::Scheduled(|app| {
                Box::pin(async move {
                    outbox_relay::relay(app)
                        .await
                        .map(|_| ())
                        .map_err(|err| err.to_string())
                })
            }),
        ),
    ]
}
