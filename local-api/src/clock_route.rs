//! `GET|POST /_local/clock`: read or move the local clock. Never deployed: it exists only in
//! this process, not in `template.yaml`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response as AxumResponse;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use shared::error::{ApiError, Problems};
use shared::http::{StatusCode, error_response, json};

use crate::runtime::Runtime;
use crate::server::into_axum;

/// The route's path.
pub const PATH: &str = "/_local/clock";

/// Body of `POST /_local/clock`: exactly one of the two.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MoveClock {
    now: Option<String>,
    advance_seconds: Option<i64>,
}

#[derive(Debug, Serialize)]
struct ClockView {
    now: String,
}

fn view(runtime: &Runtime) -> AxumResponse {
    let now = runtime.clock.now_rfc3339();
    into_axum(json(StatusCode::OK, &ClockView { now }).unwrap_or_else(|err| error_response(&err)))
}

/// `GET`: the local clock's time.
pub async fn read(State(runtime): State<Arc<Runtime>>) -> AxumResponse {
    view(&runtime)
}

/// `POST`: sets or advances the clock, persists it, and wakes due work.
pub async fn move_clock(State(runtime): State<Arc<Runtime>>, body: axum::body::Bytes) -> AxumResponse {
    match apply(&runtime, &body) {
        Ok(()) => {
            runtime.due_work.send_modify(|moves| *moves = moves.wrapping_add(1));
            view(&runtime)
        }
        Err(err) => into_axum(error_response(&err)),
    }
}

fn apply(runtime: &Runtime, body: &[u8]) -> Result<(), ApiError> {
    let request: MoveClock = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("body must be {\"now\": RFC3339} or {\"advanceSeconds\": N}"))?;
    let mut problems = Problems::new();
    match (request.now, request.advance_seconds) {
        (Some(now), None) => match DateTime::parse_from_rfc3339(&now) {
            Ok(now) => runtime.clock.set(now.with_timezone(&Utc)),
            Err(_) => problems.add("now", "must be an RFC 3339 timestamp"),
        },
        (None, Some(seconds)) => match Duration::try_seconds(seconds) {
            Some(by) if seconds.unsigned_abs() <= 100 * 365 * 24 * 3600 => runtime.clock.advance(by),
            _ => problems.add("advanceSeconds", "must be within 100 years"),
        },
        _ => problems.add("now", "give exactly one of now and advanceSeconds"),
    }
    problems.finish()?;
    crate::startup::save_clock(runtime);
    Ok(())
}

/// RFC 3339 in UTC with seconds, as the API writes timestamps.
trait Rfc3339 {
    fn now_rfc3339(&self) -> String;
}

impl Rfc3339 for shared::clock::ManualClock {
    fn now_rfc3339(&self) -> String {
        use shared::clock::Clock;
        self.now().to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}
