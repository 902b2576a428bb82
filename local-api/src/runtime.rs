//! The local process's shared state: the app on embedded adapters, its movable clock and
//! the signal that wakes due work after the clock moves.

use std::path::PathBuf;
use std::sync::Arc;

use shared::App;
use shared::clock::ManualClock;
use tokio::sync::Notify;

/// State shared by the router and the background jobs.
pub struct Runtime {
    pub app: &'static App,
    pub clock: Arc<ManualClock>,
    /// Where the clock offset is kept so a restart keeps the moved time.
    pub clock_file: Option<PathBuf>,
    /// Notified when the clock moves: scheduled jobs run at once instead of at their next tick.
    pub due_work: Notify,
    /// Where sent email is kept, for `GET /_local/mail`.
    pub mailbox: Option<Arc<shared::mail::Mailbox>>,
    /// Photo files on disk, on the embedded backend (on AWS they go to S3).
    pub uploads: Option<crate::uploads::LocalUploads>,
    /// The queues' dead letters, for `GET|POST /_local/dead-letters`.
    pub dead_letters: Option<crate::dead_letters::DeadLetters>,
}
