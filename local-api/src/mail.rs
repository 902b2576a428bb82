//! Email in the local API: every email is kept in the mailbox under `DATA_DIR/mail/` (one
//! `.eml` per message) and listed by `GET /_local/mail?to=` (local only, like the clock).
//! With `ROOST_BACKEND=aws` and `MAIL_FROM` set, each email also goes through the SES adapter
//! (an emulator, or a sandboxed SES account) before it is kept.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::{Query, State};
use axum::response::Response as AxumResponse;
use serde::Serialize;
use shared::error::{ApiError, Problems};
use shared::http::{StatusCode, error_response, json};
use shared::mail::{Email, MailError, MailLinks, Mailbox, Mailer, SesMailer, StoredMail};

use crate::runtime::Runtime;
use crate::server::into_axum;
use crate::startup::{Backend, StartError};

/// The route's path.
pub const PATH: &str = "/_local/mail";

/// The base of email links when `APP_BASE_URL` is not set.
pub const DEFAULT_APP_BASE_URL: &str = "http://127.0.0.1:3000";

/// The links of emails: `APP_BASE_URL`, or the local default.
pub fn links() -> Result<MailLinks, StartError> {
    match std::env::var(shared::mail::links::APP_BASE_URL_ENV) {
        Ok(raw) if !raw.trim().is_empty() => MailLinks::new(&raw).map_err(StartError::Backend),
        _ => MailLinks::new(DEFAULT_APP_BASE_URL).map_err(StartError::Backend),
    }
}

/// Sends through SES, then keeps a copy in the mailbox.
struct SesThenMailbox {
    ses: SesMailer,
    mailbox: Arc<Mailbox>,
}

#[async_trait]
impl Mailer for SesThenMailbox {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        self.ses.send(email).await?;
        self.mailbox.send(email).await
    }
}

/// The mailer of `backend`, and a line for the start-up log.
pub fn mailer(backend: &Backend, mailbox: Arc<Mailbox>) -> (Arc<dyn Mailer>, String) {
    let folder = mailbox.dir().display().to_string();
    let ses = match backend {
        Backend::Aws(aws) => aws.ses.as_ref(),
        _ => None,
    };
    match ses.cloned() {
        Some(ses) => {
            let line = format!("SES from {}, kept in {folder}", ses.from());
            (Arc::new(SesThenMailbox { ses, mailbox }), line)
        }
        None => (mailbox, format!("kept in {folder} (GET {PATH}?to=)")),
    }
}

/// A mailer for tests: SES first (e.g. moto), then the mailbox.
pub fn ses_then_mailbox(ses: SesMailer, mailbox: Arc<Mailbox>) -> Arc<dyn Mailer> {
    Arc::new(SesThenMailbox { ses, mailbox })
}

#[derive(Serialize)]
struct MailList {
    items: Vec<StoredMail>,
}

/// `GET /_local/mail?to=<address>`: the emails sent to the address, newest first.
pub async fn list(State(runtime): State<Arc<Runtime>>, Query(query): Query<HashMap<String, String>>) -> AxumResponse {
    into_axum(answer(&runtime, &query).unwrap_or_else(|err| error_response(&err)))
}

fn answer(runtime: &Runtime, query: &HashMap<String, String>) -> Result<shared::http::Response, ApiError> {
    let mut problems = Problems::new();
    let to = problems.required("to", query.get("to").cloned().filter(|to| !to.trim().is_empty()));
    problems.finish()?;
    let to = to.ok_or_else(|| ApiError::internal("validation passed without an address"))?;
    let Some(mailbox) = &runtime.mailbox else {
        return json(StatusCode::OK, &MailList { items: Vec::new() });
    };
    let items = mailbox.list(&to).map_err(ApiError::internal)?;
    json(StatusCode::OK, &MailList { items })
}
