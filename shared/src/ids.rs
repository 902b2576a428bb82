//! New identifiers. Every id is a ULID from one process-wide monotonic generator, so ids made
//! in the same millisecond still sort in the order they were made: a conversation's
//! `bookingIds` set, a page of messages or a mailbox listing reads back in creation order
//! instead of in the order of the random bits.

use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

use ulid::{Generator, Ulid};

static IDS: LazyLock<Mutex<Generator>> = LazyLock::new(|| Mutex::new(Generator::new()));

/// A new ULID. Real time, not the application clock: ids must keep their order when the
/// local clock is moved back.
pub fn new_ulid() -> Ulid {
    let mut ids = match IDS.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    // Overflow needs 2^80 ids in one millisecond; a fresh random ULID is then still unique.
    ids.generate_from_datetime(SystemTime::now())
        .unwrap_or_else(|_| Ulid::new())
}

/// A new id as stored and shown: 26 Crockford base32 characters.
pub fn new_id() -> String {
    new_ulid().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_in_a_row_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..1000).map(|_| new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        sorted.dedup();
        assert_eq!(sorted.len(), 1000);
    }
}
