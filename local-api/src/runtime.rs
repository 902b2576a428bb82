//! The local process's shared state: the app on embedded adapters, its movable clock and
//! the signal that wakes due work after the clock moves.

use std::path::PathBuf;
use std::sync::Arc;

use shared::App;
use shared::clock::ManualClock;

/// State shared by the router and the background jobs.
pub struct Runtime {
    pub app: &'static App,
    pub clock: Arc<ManualClock>,
    /// Where the clock offset is kept so a restart keeps the moved time.
    pub clock_file: Option<PathBuf>,
    /// Bumped when the clock moves: each scheduled job runs at once instead of at its next
    /// tick (a watch, so that a job busy when the clock moved still sees it afterwards).
    pub due_work: tokio::sync::watch::Sender<u64>,
    /// Where sent email is kept, for `GET /_local/mail`.
    pub mailbox: Option<Arc<shared::mail::Mailbox>>,
    /// Photo files on disk, on the embedded backend (on AWS they go to S3).
    pub uploads: Option<crate::uploads::LocalUploads>,
    /// The queues' dead letters, for `GET|POST /_local/dead-letters`.
    pub dead_letters: Option<crate::dead_letters::DeadLetters>,
}
