//! Scheduled each minute: publishes events whose publish right after commit did not happen
//! (the process died, or the queue was unreachable), so no event is lost.

use serde::Serialize;
use shared::App;
use shared::outbox::{self, RelayReport};
use shared::store::StoreError;

/// Most events one run publishes; the next run takes the rest.
pub const MAX_EVENTS_PER_RUN: usize = 500;

/// What a run reports (also the Lambda's response, visible in its logs).
#[derive(Debug, Serialize)]
pub struct RelayOutcome {
    pub published: usize,
    pub failed: usize,
}

/// One relay pass over the outbox.
pub async fn relay(app: &App) -> Result<RelayReport, StoreError> {
    outbox::relay(app.store.as_ref(), app.bus.as_ref(), MAX_EVENTS_PER_RUN).await
}

/// The scheduled event's content does not matter: every tick runs one pass.
pub async fn handle(app: &App, _event: serde_json::Value) -> Result<RelayOutcome, shared::lambda::Error> {
    let report = relay(app).await?;
    // The age of what the relay left behind (0 when the outbox is empty), for the alarm on
    // events stuck for more than 5 minutes.
    let now = app.clock.now();
    let age = match shared::outbox::oldest(app.store.as_ref()).await? {
        Some(at) => (now - at).num_milliseconds().max(0) as f64 / 1000.0,
        None => 0.0,
    };
    shared::metrics::record(&[(shared::metrics::Metric::OutboxOldestAgeSeconds, age)], now);
    tracing::info!(
        published = report.published,
        failed = report.failed,
        "outbox relay done"
    );
    Ok(RelayOutcome {
        published: report.published,
        failed: report.failed,
    })
}
