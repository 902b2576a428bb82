//! The one clock every time rule reads (token expiry, holds, deadlines, rate-limit windows).

use std::sync::RwLock;

use chrono::{DateTime, Duration, Utc};

/// Source of "now" for every rule that depends on time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock: what Lambda uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that runs at real speed from an offset that can be moved: the local API's
/// `/_local/clock` and tests use it to reach deadlines without waiting.
#[derive(Debug, Default)]
pub struct ManualClock {
    offset: RwLock<Duration>,
}

impl ManualClock {
    /// A clock that starts at the machine's time, shifted by `offset`.
    pub fn with_offset(offset: Duration) -> Self {
        Self {
            offset: RwLock::new(offset),
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
        match self.offset.read() {
            Ok(guard) => *guard,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    fn replace_offset(&self, offset: Duration) {
        match self.offset.write() {
            Ok(mut guard) => *guard = offset,
            Err(poisoned) => *poisoned.into_inner() = offset,
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
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
}
