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

/// An HTTP handler that needs the app.
macro_rules! http {
    ($function:ident) => {
        Handler::Http(|app, req| Box::pin($function::handle(app, req)))
    };
}

/// A scheduled job: its crate's one-pass function, errors as text for the log.
macro_rules! scheduled {
    ($function:ident :: $pass:ident) => {
        Handler::Scheduled(|app| {
            Box::pin(async move { $function::$pass(app).await.map(|_| ()).map_err(|err| err.to_string()) })
        })
    };
}

/// Every function this build knows, by binary name.
pub fn handlers() -> Vec<(&'static str, Handler)> {
    vec![
        ("health", Handler::Http(|_, req| Box::pin(health::handle(req)))),
        ("openapi", Handler::Http(|_, req| Box::pin(openapi::handle(req)))),
        ("register", http!(register)),
        ("login", http!(login)),
        ("refresh", http!(refresh)),
        ("logout", http!(logout)),
        ("get-me", http!(get_me)),
        ("update-me", http!(update_me)),
        ("get-user", http!(get_user)),
        ("create-property", http!(create_property)),
        ("get-property", http!(get_property)),
        ("update-property", http!(update_property)),
        ("delete-property", http!(delete_property)),
        ("list-my-properties", http!(list_my_properties)),
        ("search-properties", http!(search_properties)),
        ("get-calendar", http!(get_calendar)),
        ("put-calendar-blocks", http!(put_calendar_blocks)),
        ("deadline-sweeper", scheduled!(deadline_sweeper::sweep)),
        ("outbox-relay", scheduled!(outbox_relay::relay)),
    ]
}
