//! What store calls cost in DynamoDB capacity units, and the per-request tally of them.
//!
//! The DynamoDB adapter adds what DynamoDB reports (`ReturnConsumedCapacity::Total`); the
//! embedded one computes the same units from item sizes with DynamoDB's published rules
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html>
//! and, for transactions, `transaction-apis.html#transaction-capacity-handling`):
//! - a read costs 1 read unit per 4 KB of the item (rounded up, at least one), half that when
//!   eventually consistent; a query or scan page costs that for the *sum* of the items it
//!   examined (filtered and expired ones included), rounded up once per page; a batch get
//!   costs it per item;
//! - a write costs 1 write unit per 1 KB (rounded up, at least one) of the larger of the item
//!   before and after; a conditional write whose condition fails still costs it;
//! - a transaction costs double: 2 write units per KB per written item, 2 read units per 4 KB
//!   per condition check;
//! - every global secondary index entry a write puts, rewrites or deletes costs 1 write unit
//!   per KB of the item besides (the indexes project whole items), once even in a
//!   transaction ([`WriteCost`]).
//!
//! A tally is a `tokio` task-local opened by [`measure`] (the HTTP wrapper and the SQS
//! consumer wrapper open one per request or batch); [`record`] adds to the innermost one, and
//! a finished tally is added to the one around it, so a bench can wrap a whole request. Outside
//! any tally, [`record`] does nothing and [`measuring`] tells adapters to skip the sizing.

use std::cell::Cell;
use std::future::Future;
use std::ops::{Add, AddAssign};

use serde_json::Value;

use super::Item;

/// Bytes per read unit.
const READ_UNIT_BYTES: usize = 4 * 1024;
/// Bytes per write unit.
const WRITE_UNIT_BYTES: usize = 1024;
/// What a List or Map costs besides its elements, and what each element costs besides itself.
const CONTAINER_OVERHEAD: usize = 3;
const ELEMENT_OVERHEAD: usize = 1;

/// Read and write capacity units (fractions: an eventually consistent read is half a unit).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
}

impl Capacity {
    /// `units` read units.
    pub fn read(units: f64) -> Self {
        Self {
            read: units,
            write: 0.0,
        }
    }

    /// `units` write units.
    pub fn write(units: f64) -> Self {
        Self {
            read: 0.0,
            write: units,
        }
    }

    /// Whether nothing was spent.
    pub fn is_zero(self) -> bool {
        self.read == 0.0 && self.write == 0.0
    }

    /// The cost of these units inside a transaction, which reads or writes every item twice
    /// (prepare and commit).
    pub fn transactional(self) -> Self {
        Self {
            read: self.read * 2.0,
            write: self.write * 2.0,
        }
    }
}

impl Add for Capacity {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            read: self.read + other.read,
            write: self.write + other.write,
        }
    }
}

impl AddAssign for Capacity {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Consistency {
    /// Sees every write acknowledged before it (a full read unit per 4 KB).
    #[default]
    Strong,
    /// May miss writes of the last second or so (half a unit): for reads where a stale answer
    /// is harmless, and the only kind a GSI offers.
    Eventual,
}

/// Read units for `bytes` read in one go (one item, or one query page).
pub fn read_units(bytes: usize, consistency: Consistency) -> f64 {
    let units = bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    match consistency {
        Consistency::Strong => units,
        Consistency::Eventual => units / 2.0,
    }
}

/// Write units for writing an item whose larger version (before or after) is `bytes`.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

/// What one item write costs: the table's units, and those of the global secondary indexes
/// the write changes. Each index projects the whole item (`ProjectionType: ALL`), so an index
/// entry costs what the item does: putting or deleting an entry costs the units of its size,
/// rewriting an entry under the same index key the units of the larger version, and moving it
/// to another index key a delete plus a put. A transaction doubles the table's units only
/// (its prepare and commit are table writes; the indexes are written once, after the commit),
/// and a write whose condition fails writes no index.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WriteCost {
    table: f64,
    indexes: f64,
}

impl WriteCost {
    /// The cost of replacing `before` with `after` (either may be absent), each given with
    /// its billed size ([`item_size`]).
    pub fn of(before: Option<(&Item, usize)>, after: Option<(&Item, usize)>) -> Self {
        let larger = before
            .map_or(0, |(_, size)| size)
            .max(after.map_or(0, |(_, size)| size));
        let entry = |pick: fn(&Item) -> Option<&super::IndexKey>| {
            let old = before.and_then(|(item, size)| pick(item).map(|key| (key, size)));
            let new = after.and_then(|(item, size)| pick(item).map(|key| (key, size)));
            match (old, new) {
                (None, None) => 0.0,
                (Some((_, size)), None) | (None, Some((_, size))) => write_units(size),
                (Some((old_key, old_size)), Some((new_key, new_size))) if old_key == new_key => {
                    write_units(old_size.max(new_size))
                }
                (Some((_, old_size)), Some((_, new_size))) => write_units(old_size) + write_units(new_size),
            }
        };
        Self {
            table: write_units(larger),
            indexes: entry(|item| item.gsi1.as_ref()) + entry(|item| item.gsi2.as_ref()),
        }
    }

    /// The units of the write done on its own.
    pub fn applied(self) -> Capacity {
        Capacity::write(self.table + self.indexes)
    }

    /// The units of the write done inside a transaction that commits.
    pub fn applied_in_transaction(self) -> Capacity {
        Capacity::write(self.table * 2.0 + self.indexes)
    }

    /// The units of the write refused by its condition: the table's only.
    pub fn refused(self) -> Capacity {
        Capacity::write(self.table)
    }
}

/// The size DynamoDB bills for `item` as the DynamoDB adapter lays it out: every attribute's
/// name plus its value, the keys and bookkeeping attributes included. `is_set` names the
/// attributes stored as string sets (which cost their members only, not a list's overhead).
pub fn item_size(item: &Item, is_set: impl Fn(&str) -> bool) -> usize {
    let string = |name: &str, value: &str| name.len() + value.len();
    let mut size = string("pk", &item.key.pk) + string("sk", &item.key.sk) + string("type", &item.kind);
    size += "version".len() + number_size(&item.version.to_string());
    if let Some(ttl) = item.ttl {
        size += "ttl".len() + number_size(&ttl.to_string());
    }
    if let Some(gsi1) = &item.gsi1 {
        size += string("gsi1pk", &gsi1.pk) + string("gsi1sk", &gsi1.sk);
    }
    if let Some(gsi2) = &item.gsi2 {
        size += string("gsi2pk", &gsi2.pk) + string("gsi2sk", &gsi2.sk);
    }
    for (name, value) in &item.attrs {
        size += name.len();
        size += match value {
            Value::Array(members) if is_set(name) => members.iter().map(|m| m.as_str().map_or(0, str::len)).sum(),
            value => value_size(value),
        };
    }
    size
}

/// The size of one attribute value as serde_dynamo stores JSON: strings as S, numbers as N,
/// booleans as BOOL, null as NULL, arrays as L and objects as M.
fn value_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 1,
        Value::String(text) => text.len(),
        Value::Number(number) => number_size(&number.to_string()),
        Value::Array(members) => {
            CONTAINER_OVERHEAD
                + members
                    .iter()
                    .map(|member| value_size(member) + ELEMENT_OVERHEAD)
                    .sum::<usize>()
        }
        Value::Object(fields) => {
            CONTAINER_OVERHEAD
                + fields
                    .iter()
                    .map(|(name, member)| name.len() + value_size(member) + ELEMENT_OVERHEAD)
                    .sum::<usize>()
        }
    }
}

/// A number's size: one byte per two significant digits, plus one (leading and trailing
/// zeros do not count).
fn number_size(text: &str) -> usize {
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len().max(1);
    significant.div_ceil(2) + 1
}

tokio::task_local! {
    static TALLY: Cell<Capacity>;
}

/// Whether a tally is open, so that an adapter computing units can skip the work otherwise.
pub fn measuring() -> bool {
    TALLY.try_with(|_| ()).is_ok()
}

/// Adds `spent` to the innermost open tally (none open: nothing happens).
pub fn record(spent: Capacity) {
    let _ = TALLY.try_with(|tally| tally.set(tally.get() + spent));
}

/// Runs `work` with a tally of its own; returns its output and what its store calls spent,
/// which are also added to the tally around it, if any.
pub async fn measure<F: Future>(work: F) -> (F::Output, Capacity) {
    let (output, spent) = TALLY
        .scope(Cell::new(Capacity::default()), async {
            let output = work.await;
            (output, TALLY.with(Cell::get))
        })
        .await;
    record(spent);
    (output, spent)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::{IndexKey, Key};

    #[test]
    fn reads_cost_a_unit_per_4_kb_and_half_when_eventual() {
        assert_eq!(read_units(0, Consistency::Strong), 1.0, "at least one");
        assert_eq!(read_units(4096, Consistency::Strong), 1.0);
        assert_eq!(read_units(4097, Consistency::Strong), 2.0);
        assert_eq!(read_units(4097, Consistency::Eventual), 1.0);
        assert_eq!(read_units(10, Consistency::Eventual), 0.5);
    }

    #[test]
    fn writes_cost_a_unit_per_kb() {
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(write_units(3000), 3.0);
        assert_eq!(Capacity::write(3.0).transactional(), Capacity::write(6.0));
    }

    #[test]
    fn index_entries_cost_their_own_units_once_even_in_a_transaction() {
        let plain = Item::new(Key::new("P#1", "S"), "x", &json!({})).unwrap();
        let listed = plain.clone().with_gsi1(IndexKey::new("CITY#a", "1"));
        let moved = plain.clone().with_gsi1(IndexKey::new("CITY#b", "1"));
        let both = listed.clone().with_gsi2(IndexKey::new("HOST#h", "1"));
        let small = 100;
        let large = 1500;
        // No index entry: the table only.
        assert_eq!(
            WriteCost::of(None, Some((&plain, small))).applied(),
            Capacity::write(1.0)
        );
        // A put in one index, then in two.
        assert_eq!(
            WriteCost::of(None, Some((&listed, small))).applied(),
            Capacity::write(2.0)
        );
        assert_eq!(
            WriteCost::of(None, Some((&both, large))).applied(),
            Capacity::write(6.0)
        );
        // The same index key rewritten: the larger version, once.
        assert_eq!(
            WriteCost::of(Some((&listed, small)), Some((&listed, large))).applied(),
            Capacity::write(4.0)
        );
        // A new index key: the old entry deleted and the new one put.
        assert_eq!(
            WriteCost::of(Some((&listed, small)), Some((&moved, large))).applied(),
            Capacity::write(2.0 + 1.0 + 2.0)
        );
        // Leaving the index, and a delete.
        assert_eq!(
            WriteCost::of(Some((&listed, small)), Some((&plain, small))).applied(),
            Capacity::write(2.0)
        );
        assert_eq!(
            WriteCost::of(Some((&both, small)), None).applied(),
            Capacity::write(3.0)
        );
        // A transaction doubles the table's units, not the index's.
        let put = WriteCost::of(None, Some((&listed, small)));
        assert_eq!(put.applied_in_transaction(), Capacity::write(3.0));
        // A refused write writes no index.
        assert_eq!(put.refused(), Capacity::write(1.0));
        assert_eq!(put.refused().transactional(), Capacity::write(2.0));
    }

    #[test]
    fn numbers_cost_a_byte_per_two_significant_digits_plus_one() {
        assert_eq!(number_size("0"), 2);
        assert_eq!(number_size("7"), 2);
        assert_eq!(number_size("12"), 2);
        assert_eq!(number_size("123"), 3);
        assert_eq!(number_size("-1000"), 2, "trailing zeros are trimmed");
        assert_eq!(number_size("0.25"), 2);
        assert_eq!(number_size("1.5e10"), 2);
        assert_eq!(number_size("1700000000"), 2);
        assert_eq!(number_size("1700000001"), 6);
    }

    #[test]
    fn item_size_counts_names_and_values_of_every_attribute() {
        let bare = Item::new(Key::new("P#1", "S"), "x", &json!({})).unwrap();
        // pk+3, sk+1, type+1, version+2
        assert_eq!(item_size(&bare, |_| false), 5 + 3 + 5 + 9);
        let full = bare.clone().with_gsi1(IndexKey::new("a", "b")).with_ttl(1_700_000_000);
        assert_eq!(item_size(&full, |_| false), 22 + (3 + 2) + (7 + 7));
        let record = Item::new(
            Key::new("P#1", "S"),
            "x",
            &json!({"name": "Ann", "ok": true, "none": null, "tags": ["ab", "c"], "m": {"k": 10}}),
        )
        .unwrap();
        let attrs = (4 + 3) + (2 + 1) + (4 + 1) + (4 + 3 + (2 + 1) + (1 + 1)) + (1 + 3 + (1 + 2 + 1));
        assert_eq!(item_size(&record, |_| false), 22 + attrs);
        // As a string set, `tags` costs its members only.
        assert_eq!(item_size(&record, |name| name == "tags"), 22 + attrs - (3 + 2));
        let wide = Item::new(Key::new("P", "S"), "x", &json!({"text": "é".repeat(600)})).unwrap();
        assert!(item_size(&wide, |_| false) > 1200, "strings count UTF-8 bytes");
    }

    #[tokio::test]
    async fn a_tally_counts_what_its_work_records_and_adds_it_to_the_one_around_it() {
        assert!(!measuring());
        record(Capacity::write(1.0));
        let ((_, inner), outer) = measure(async {
            record(Capacity::read(0.5));
            let inner = measure(async {
                assert!(measuring());
                record(Capacity::write(2.0));
            })
            .await;
            record(Capacity::read(1.0));
            inner
        })
        .await;
        assert_eq!(inner, Capacity::write(2.0));
        assert_eq!(outer, Capacity { read: 1.5, write: 2.0 });
    }
}
