//! The map index: one small entry per located property in its geohash cell at each of
//! [`geo::INDEX_LEVELS`], written in the same transaction as the property.
//!
//! An entry (`GEO#<cell>` / `PRICE#<amount>#<id>`) carries the facts that search filters on,
//! so a map query reads the cells' entries, filters them exactly (distance, box, guests,
//! nights, ...) and then reads only the properties it shows, in one batch. Entries are not
//! touched by what changes often on a property (counters, ratings, taken nights), so those
//! writes cost no index write.
//!
//! A map query reads a few hundred entries, so an entry is one compact text attribute
//! (`facts`: `country|currency|amount|lat|lng|maxGuests|bedrooms|minNights|maxNights|amenities`,
//! amenities joined by U+001F, which validation keeps out of their text): smaller items (fewer
//! read units) and one string to split instead of a JSON object to build per entry.

use serde::{Deserialize, Serialize};

use super::model::Property;
use crate::geo::{self, Point};
use crate::money::{Currency, Money};
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, Key, StoreError, TxAction};

/// What search filters on, as a map entry keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoEntry {
    pub property_id: String,
    pub country: String,
    pub location: Point,
    pub nightly_price: Money,
    pub max_guests: u32,
    pub bedrooms: u32,
    pub min_nights: u32,
    pub max_nights: u32,
    /// Lower-cased, so the amenity filter compares without folding each time.
    pub amenities: Vec<String>,
}

impl GeoEntry {
    /// The entry of a listed, located property; `None` for one deleted, unlisted or without
    /// location.
    pub fn of(property: &Property) -> Option<Self> {
        if !property.in_search() {
            return None;
        }
        Some(Self {
            property_id: property.id.clone(),
            country: property.address.country.clone(),
            location: property.location?,
            nightly_price: property.nightly_price,
            max_guests: property.max_guests,
            bedrooms: property.bedrooms,
            min_nights: property.min_nights,
            max_nights: property.max_nights,
            amenities: property.amenities.iter().map(|a| a.to_lowercase()).collect(),
        })
    }

    /// The stored form: the `facts` attribute.
    fn record(&self) -> Facts {
        let mut facts = format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|",
            self.country,
            self.nightly_price.currency.code(),
            self.nightly_price.amount,
            self.location.lat,
            self.location.lng,
            self.max_guests,
            self.bedrooms,
            self.min_nights,
            self.max_nights,
        );
        for (n, amenity) in self.amenities.iter().enumerate() {
            if n > 0 {
                facts.push(AMENITY_SEPARATOR);
            }
            facts.push_str(amenity);
        }
        Facts { facts }
    }

    /// The entry stored in `item` (its id is the end of the sort key).
    pub fn from_item(item: Item) -> Result<Self, StoreError> {
        let invalid = || StoreError::InvalidItem(format!("{} {}: not a map entry", item.key.pk, item.key.sk));
        let property_id = item.key.sk.rsplit('#').next().ok_or_else(invalid)?.to_owned();
        let facts = item.attrs.get("facts").and_then(|v| v.as_str()).ok_or_else(invalid)?;
        let mut parts = facts.splitn(10, '|');
        let mut next = || parts.next().ok_or_else(invalid);
        let country = next()?.to_owned();
        let currency = Currency::parse(next()?).map_err(|_| invalid())?;
        let amount = next()?.parse().map_err(|_| invalid())?;
        let lat = next()?.parse().map_err(|_| invalid())?;
        let lng = next()?.parse().map_err(|_| invalid())?;
        let mut count = || -> Result<u32, StoreError> { next()?.parse().map_err(|_| invalid()) };
        let (max_guests, bedrooms, min_nights, max_nights) = (count()?, count()?, count()?, count()?);
        let amenities = next()?;
        Ok(Self {
            property_id,
            country,
            location: Point::new(lat, lng).ok_or_else(invalid)?,
            nightly_price: Money::new(amount, currency),
            max_guests,
            bedrooms,
            min_nights,
            max_nights,
            amenities: if amenities.is_empty() {
                Vec::new()
            } else {
                amenities.split(AMENITY_SEPARATOR).map(str::to_owned).collect()
            },
        })
    }

    /// The key of this entry in each indexed level's cell.
    fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        geo::INDEX_LEVELS.iter().map(|&level| {
            keys::geo_entry(
                &geo::geohash(self.location, level),
                self.nightly_price.amount,
                &self.property_id,
            )
        })
    }
}

/// Between amenities in `facts`: a control character, which amenity text never holds.
const AMENITY_SEPARATOR: char = '\u{1f}';

/// The record of a map entry.
#[derive(Debug, Serialize, Deserialize)]
struct Facts {
    facts: String,
}

/// The actions that take a property's map entries from what `before` needs to what `after`
/// needs (either side `None` for a property not yet written or not to be indexed): a put for
/// each entry of `after`, a delete for each entry of `before` no longer needed.
pub fn moves(before: Option<&Property>, after: Option<&Property>) -> Result<Vec<TxAction>, StoreError> {
    let old: Vec<Key> = before
        .and_then(GeoEntry::of)
        .map(|entry| entry.keys().collect())
        .unwrap_or_default();
    let mut actions = Vec::new();
    let mut kept = Vec::new();
    if let Some(entry) = after.and_then(GeoEntry::of) {
        let record = entry.record();
        for key in entry.keys() {
            kept.push(key.clone());
            actions.push(TxAction::Put {
                item: Item::new(key, kind::GEO_ENTRY, &record)?,
                condition: Condition::Always,
            });
        }
    }
    for key in old {
        if !kept.contains(&key) {
            actions.push(TxAction::Delete {
                key,
                condition: Condition::Always,
            });
        }
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(lat: f64, lng: f64, price: i64) -> Property {
        let mut p: Property = serde_json::from_value(serde_json::json!({
            "id": "01P", "hostId": "H", "title": "t", "description": "", "timeZone": "UTC",
            "address": {"line1": "l", "city": "c", "region": null, "country": "CH", "postalCode": null},
            "maxGuests": 2, "bedrooms": 1, "beds": 1, "bathrooms": 1.0, "amenities": ["WiFi"],
            "nightlyPrice": {"amount": price, "currency": "CHF"}, "cleaningFee": {"amount": 0, "currency": "CHF"},
            "minNights": 1, "maxNights": 30, "checkInTime": "15:00", "checkOutTime": "11:00",
            "instantBook": true, "cancellationPolicy": "moderate",
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        p.location = Point::new(lat, lng);
        p
    }

    #[test]
    fn a_new_located_property_gets_one_entry_per_level() {
        let p = located(47.37, 8.54, 100);
        let actions = moves(None, Some(&p)).unwrap();
        assert_eq!(actions.len(), geo::INDEX_LEVELS.len());
        let TxAction::Put { item, .. } = &actions[0] else {
            panic!()
        };
        assert_eq!(item.key.pk, "GEO#u");
        assert_eq!(item.key.sk, "PRICE#000000000100#01P");
        assert_eq!(GeoEntry::from_item(item.clone()).unwrap(), GeoEntry::of(&p).unwrap());
    }

    #[test]
    fn entries_round_trip_through_their_compact_form() {
        let mut p = located(-33.8688, 151.2093, 123_456);
        p.amenities = vec!["Wi-Fi | fast".into(), "Kitchen".into()];
        let TxAction::Put { item, .. } = moves(None, Some(&p)).unwrap().remove(0) else {
            panic!()
        };
        let back = GeoEntry::from_item(item).unwrap();
        assert_eq!(back, GeoEntry::of(&p).unwrap());
        assert_eq!(back.amenities, ["wi-fi | fast", "kitchen"]);
        p.amenities.clear();
        let TxAction::Put { item, .. } = moves(None, Some(&p)).unwrap().remove(0) else {
            panic!()
        };
        assert!(GeoEntry::from_item(item).unwrap().amenities.is_empty());
    }

    #[test]
    fn a_move_rewrites_entries_and_drops_the_cells_left() {
        let before = located(47.37, 8.54, 100);
        let mut after = before.clone();
        after.nightly_price.amount = 200;
        let actions = moves(Some(&before), Some(&after)).unwrap();
        let deletes = actions.iter().filter(|a| matches!(a, TxAction::Delete { .. })).count();
        assert_eq!(deletes, geo::INDEX_LEVELS.len(), "the price is in every key");
        let mut unlocated = before.clone();
        unlocated.location = None;
        assert!(
            moves(Some(&before), Some(&unlocated))
                .unwrap()
                .iter()
                .all(|a| matches!(a, TxAction::Delete { .. }))
        );
        assert!(moves(None, Some(&unlocated)).unwrap().is_empty());
    }
}
