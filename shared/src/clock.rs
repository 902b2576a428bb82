//! The one clock every time rule reads (token expiry, holds, deadlines, rate-limit windows).

use std::sync::RwLock;

use chrono::{DateTime, Duration, Utc};

/// Source of "now" for every rule that depends on time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// The earliest instant this clock can have told anyone during the last `window` of real
    /// time: a transaction that took its time then and is still in flight may carry it. On
    /// a clock that only ticks, `now - window`; one that was moved ahead in the window reads
    /// earlier than that (the outbox relay must not pass what such a transaction records).
    fn earliest_read_within(&self, window: Duration) -> DateTime<Utc> {
        self.now() - window
    }

    /// How long after a read of this clock a transaction that took its time from it can
    /// still commit: what a deadline filed at that time stays ahead of
    /// (`crate::deadlines::schedule`). In Lambda, the outbox's settling time, longer than
    /// every function's timeout.
    fn commit_window(&self) -> Duration {
        crate::outbox::SETTLE
    }
}

/// [`Clock::commit_window`] of the local API's clock: its store commits within milliseconds,
/// or a few seconds under the fault tests' retries (their budget is 1.5 s a call), as for its
/// outbox relay's settling window.
pub const LOCAL_COMMIT_WINDOW: Duration = Duration::seconds(5);

/// The machine's clock: what Lambda uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant: for tests that need a time to be exact.
#[derive(Debug, Clone, Copy)]
pub struct StoppedClock(pub DateTime<Utc>);

impl Clock for StoppedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A clock that runs at real speed from an offset that can be moved: the local API's
/// `/_local/clock` and tests use it to reach deadlines without waiting.
#[derive(Debug, Default)]
pub struct ManualClock {
    state: RwLock<Offsets>,
}

/// How long a replaced offset is remembered for [`Clock::earliest_read_within`]: longer than
/// any window asked of it (the local outbox relay's seconds).
const OFFSET_MEMORY: Duration = Duration::minutes(10);

#[derive(Debug, Default)]
struct Offsets {
    current: Duration,
    /// Offsets replaced within [`OFFSET_MEMORY`]: (when, by the machine's clock, the offset
    /// stopped being current).
    replaced: Vec<(DateTime<Utc>, Duration)>,
}

impl ManualClock {
    /// A clock that starts at the machine's time, shifted by `offset`.
    pub fn with_offset(offset: Duration) -> Self {
        Self {
            state: RwLock::new(Offsets {
                current: offset,
                replaced: Vec::new(),
            }),
        }
    }

    /// Moves the clock so that it reads `now` at this instant (then keeps ticking).
    pub fn set(&self, now: DateTime<Utc>) {
        self.replace_offset(now - Utc::now());
    }

    /// Moves the clock forward (or back, if negative) by `by`.
    pub fn advance(&self, by: Duration) {
        let current = self.offset();
        self.replace_offset(current + by);
    }

    /// How far this clock is from the machine's.
    pub fn offset(&self) -> Duration {
        self.read(|offsets| offsets.current)
    }

    fn replace_offset(&self, offset: Duration) {
        let mut guard = match self.state.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let real_now = Utc::now();
        let previous = guard.current;
        guard.replaced.retain(|(until, _)| real_now - *until < OFFSET_MEMORY);
        guard.replaced.push((real_now, previous));
        guard.current = offset;
    }

    fn read<T>(&self, f: impl FnOnce(&Offsets) -> T) -> T {
        match self.state.read() {
            Ok(guard) => f(&guard),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }

    fn commit_window(&self) -> Duration {
        LOCAL_COMMIT_WINDOW
    }

    /// The window's start read through the smallest offset current at any time in it: the
    /// one now, or one replaced since the window began.
    fn earliest_read_within(&self, window: Duration) -> DateTime<Utc> {
        let start = Utc::now() - window;
        let smallest = self.read(|offsets| {
            offsets
                .replaced
                .iter()
                .filter(|(until, _)| *until >= start)
                .map(|(_, offset)| *offset)
                .fold(offsets.current, Duration::min)
        });
        start + smallest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_and_keeps_ticking() {
        let clock = ManualClock::default();
        let target = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        clock.set(target);
        let read = clock.now();
        assert!(read >= target && read - target < Duration::seconds(1));
        clock.advance(Duration::hours(2));
        assert!(clock.now() - target >= Duration::hours(2));
    }

    #[test]
    fn a_clock_moved_ahead_still_reports_the_time_it_told_before_the_move() {
        let clock = ManualClock::default();
        let before = clock.now();
        clock.advance(Duration::days(3));
        let earliest = clock.earliest_read_within(Duration::seconds(5));
        assert!(
            earliest <= before - Duration::seconds(5) + Duration::milliseconds(50),
            "{earliest} vs {before}"
        );
        assert!(earliest > before - Duration::seconds(6), "{earliest} vs {before}");
        // Moved back: the current offset is the smallest.
        clock.advance(Duration::days(-10));
        let earliest = clock.earliest_read_within(Duration::seconds(5));
        assert!(clock.now() - earliest >= Duration::seconds(5));
        assert!(clock.now() - earliest < Duration::seconds(6));
    }

    #[test]
    fn a_ticking_clock_reports_the_start_of_the_window() {
        let clock = SystemClock;
        let earliest = clock.earliest_read_within(Duration::seconds(5));
        let gap = clock.now() - earliest;
        assert!(gap >= Duration::seconds(5) && gap < Duration::seconds(6), "{gap}");
    }
}
