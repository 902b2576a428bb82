//! Scheduled each minute: publishes again the events recorded in the outbox since the last
//! run, so that none whose publish right after commit did not happen (the process died, or
//! the queue was unreachable) is lost. A second copy of an event that did go out is dropped by
//! SQS FIFO deduplication (and consumers are idempotent by event id).

use serde::Serialize;
use shared::App;
use shared::outbox::{self, RelayReport};
use shared::store::StoreError;

/// Most events one run publishes; the next run takes the rest. Every event passes through the
/// relay once (it publishes again what was published at commit), so this is the outbox's
/// ceiling: 3,000 a minute, 50 a second sustained. One by one at a few milliseconds a send
/// they fit the function's 45 s timeout, and the watermark is kept page by page besides.
pub const MAX_EVENTS_PER_RUN: usize = 3_000;

/// What a run reports (also the Lambda's response, visible in its logs).
#[derive(Debug, Serialize)]
pub struct RelayOutcome {
    pub published: usize,
    pub failed: usize,
}

/// One relay pass over the outbox, up to the earliest time the clock told anyone in the last
/// `settle` ([`outbox::SETTLE`] in AWS): a transaction that took its time before that has
/// committed or failed by now.
pub async fn relay(app: &App, settle: chrono::Duration) -> Result<RelayReport, StoreError> {
    outbox::relay(
        app.store.as_ref(),
        app.bus.as_ref(),
        app.clock.earliest_read_within(settle),
        MAX_EVENTS_PER_RUN,
    )
    .await
}

/// How long the local API's relay leaves a transaction to commit. Its store commits within
/// milliseconds of the time recorded, or a few seconds under the fault tests' retries (their
/// budget is 1.5 s a call). The window is real time: a moved clock does not shorten it
/// ([`shared::clock::Clock::earliest_read_within`]), since a request still in flight when
/// the clock jumps days ahead recorded its events by the time before the jump.
pub const LOCAL_SETTLE: chrono::Duration = chrono::Duration::seconds(5);

/// One relay pass of the local API (every second, and at each clock move).
pub async fn relay_local(app: &App) -> Result<RelayReport, StoreError> {
    relay(app, LOCAL_SETTLE).await
}

/// The scheduled event's content does not matter: every tick runs one pass.
pub async fn handle(app: &App, _event: serde_json::Value) -> Result<RelayOutcome, shared::lambda::Error> {
    let report = relay(app, outbox::SETTLE).await?;
    // The age of the oldest event the run had to leave (0 when it published everything
    // settled), for the alarm on events stuck for more than 5 minutes.
    let now = app.clock.now();
    let age = report
        .behind_since
        .map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0);
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
