//! Scheduled each minute: every deadline that came due (hold expiry, host answer, payout,
//! review window, check-in instructions and reminder, photo upload) is published as its
//! `DeadlineReached` event on the queue whose consumer acts on it (`shared::deadlines`).

use shared::App;
use shared::deadlines::{self, SweepReport};
use shared::metrics::Metric;
use shared::store::StoreError;

/// One sweep at the app's clock.
pub async fn sweep(app: &App) -> Result<SweepReport, StoreError> {
    deadlines::sweep(app.store.as_ref(), app.bus.as_ref(), app.clock.as_ref()).await
}

/// The scheduled event's content does not matter: every tick sweeps once.
pub async fn handle(app: &App, _event: serde_json::Value) -> Result<SweepReport, shared::lambda::Error> {
    let report = sweep(app).await?;
    tracing::info!(
        emitted = report.emitted,
        skipped = report.skipped,
        most_overdue_secs = report.most_overdue_secs,
        "deadline sweep done"
    );
    // Every run reports its lag (0 when nothing was due), so the alarm always has data.
    shared::metrics::record(
        &[(Metric::SweepLagSeconds, report.most_overdue_secs as f64)],
        app.clock.now(),
    );
    Ok(report)
}
