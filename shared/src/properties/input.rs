//! Parsing a property from a request: create (required fields and defaults) and patch (any
//! writable subset, merged with what is stored), naming every bad field at once.

use serde::{Deserialize, Serialize};

use super::model::{Address, CancellationPolicy, Property};
use crate::error::Problems;
use crate::geo::Point;
use crate::money::{Money, MoneyInput};
use crate::place::parse_country;

/// Highest nightly price or fee, in minor units (keeps the 12-digit price key sortable).
pub const MAX_AMOUNT: i64 = 100_000_000_000;
/// Longest stay: a booking writes one item per night in one transaction.
pub const MAX_NIGHTS_LIMIT: i64 = 90;
/// Longest check-in instructions.
pub const MAX_INSTRUCTIONS_CHARS: usize = 2000;

/// The address as a request carries it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddressInput {
    pub line1: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
}

/// Body of `POST /properties` and `PATCH /properties/{id}` (serialized only to recognise a
/// repeated request under one `Idempotency-Key`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PropertyInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub address: Option<AddressInput>,
    /// IANA name, e.g. `Europe/Zurich`.
    pub time_zone: Option<String>,
    #[schema(minimum = 1, maximum = 50)]
    pub max_guests: Option<i64>,
    #[schema(minimum = 0, maximum = 50)]
    pub bedrooms: Option<i64>,
    #[schema(minimum = 0, maximum = 50)]
    pub beds: Option<i64>,
    /// 0..50 in steps of 0.5.
    #[schema(minimum = 0, maximum = 50, multiple_of = 0.5)]
    pub bathrooms: Option<f64>,
    pub amenities: Option<Vec<String>>,
    pub nightly_price: Option<MoneyInput>,
    pub cleaning_fee: Option<MoneyInput>,
    #[schema(minimum = 1, maximum = 90)]
    pub min_nights: Option<i64>,
    #[schema(minimum = 1, maximum = 90)]
    pub max_nights: Option<i64>,
    /// `HH:MM`, 24-hour.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub check_in_time: Option<String>,
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub check_out_time: Option<String>,
    pub instant_book: Option<bool>,
    /// `flexible`, `moderate`, `firm` or `strict`.
    #[schema(value_type = Option<super::model::CancellationPolicy>)]
    pub cancellation_policy: Option<String>,
    /// 0..2000 characters, default empty: posted to confirmed stays 48 h before check-in,
    /// shown to the host only.
    pub check_in_instructions: Option<String>,
    /// Where the property is on a map; `null` in a patch removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<LocationInput>)]
    pub location: Option<Option<LocationInput>>,
}

/// A position as a request carries it.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// Latitude, -90..90.
    #[schema(required, nullable = false, minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    /// Longitude, -180..180.
    #[schema(required, nullable = false, minimum = -180, maximum = 180)]
    pub lng: Option<f64>,
}

/// Tells a field sent as `null` (`Some(None)`: remove it) from one left out (`None`: keep it).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A location's fields, each checked and named (`location.lat`, `location.lng`).
fn location(input: &LocationInput, problems: &mut Problems) -> Option<Point> {
    let lat = problems.required("location.lat", input.lat);
    let lng = problems.required("location.lng", input.lng);
    let lat = lat.filter(|lat| {
        let ok = (-90.0..=90.0).contains(lat);
        if !ok {
            problems.add("location.lat", "must be -90..90");
        }
        ok
    });
    let lng = lng.filter(|lng| {
        let ok = (-180.0..=180.0).contains(lng);
        if !ok {
            problems.add("location.lng", "must be -180..180");
        }
        ok
    });
    Point::new(lat?, lng?)
}

/// The writable fields of a property, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub title: String,
    pub description: String,
    pub address: Address,
    pub time_zone: String,
    pub max_guests: u32,
    pub bedrooms: u32,
    pub beds: u32,
    pub bathrooms: f64,
    pub amenities: Vec<String>,
    pub nightly_price: Money,
    pub cleaning_fee: Money,
    pub min_nights: u32,
    pub max_nights: u32,
    pub check_in_time: String,
    pub check_out_time: String,
    pub instant_book: bool,
    pub cancellation_policy: CancellationPolicy,
    pub check_in_instructions: String,
    pub location: Option<Point>,
}

impl Listing {
    /// The writable fields of a stored property.
    pub fn of(property: &Property) -> Self {
        Self {
            title: property.title.clone(),
            description: property.description.clone(),
            address: property.address.clone(),
            time_zone: property.time_zone.clone(),
            max_guests: property.max_guests,
            bedrooms: property.bedrooms,
            beds: property.beds,
            bathrooms: property.bathrooms,
            amenities: property.amenities.clone(),
            nightly_price: property.nightly_price,
            cleaning_fee: property.cleaning_fee,
            min_nights: property.min_nights,
            max_nights: property.max_nights,
            check_in_time: property.check_in_time.clone(),
            check_out_time: property.check_out_time.clone(),
            instant_book: property.instant_book,
            cancellation_policy: property.cancellation_policy,
            check_in_instructions: property.check_in_instructions.clone(),
            location: property.location,
        }
    }
}

fn text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let value = raw.trim();
    let length = value.chars().count();
    if length < min || length > max {
        return Err(format!("must be {min}..{max} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("must not contain control characters".to_owned());
    }
    Ok(value.to_owned())
}

fn count(value: i64, min: i64, max: i64) -> Result<u32, String> {
    if (min..=max).contains(&value) {
        u32::try_from(value).map_err(|_| format!("must be {min}..{max}"))
    } else {
        Err(format!("must be {min}..{max}"))
    }
}

fn clock_time(raw: &str) -> Result<String, String> {
    chrono::NaiveTime::parse_from_str(raw, "%H:%M")
        .ok()
        .filter(|_| raw.len() == 5)
        .map(|_| raw.to_owned())
        .ok_or_else(|| "must be a 24-hour time HH:MM".to_owned())
}

fn time_zone(raw: &str) -> Result<String, String> {
    crate::zone::Zone::named(raw)
        .map(|zone| zone.name().to_owned())
        .ok_or_else(|| "must be an IANA time zone such as Europe/Zurich".to_owned())
}

fn bathrooms(value: f64) -> Result<f64, String> {
    if (0.0..=50.0).contains(&value) && (value * 2.0).fract() == 0.0 {
        Ok(value)
    } else {
        Err("must be 0..50 in steps of 0.5".to_owned())
    }
}

fn amenities(values: &[String]) -> Result<Vec<String>, String> {
    if values.len() > 50 {
        return Err("at most 50 amenities".to_owned());
    }
    values
        .iter()
        .map(|value| text(value, 1, 50))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "each amenity must be 1..50 characters".to_owned())
}

fn optional_text(raw: Option<&String>, max: usize) -> Result<Option<String>, String> {
    match raw.map(|value| value.trim()) {
        None | Some("") => Ok(None),
        Some(value) => text(value, 1, max).map(Some),
    }
}

impl PropertyInput {
    /// The listing this input describes, on top of `base` (a patch) or of the defaults (a
    /// create, where `title`, `address.line1`, `address.city`, `address.country`,
    /// `timeZone`, `maxGuests` and `nightlyPrice` are required).
    pub fn listing(self, base: Option<&Listing>, problems: &mut Problems) -> Option<Listing> {
        let creating = base.is_none();
        let require = |field: &str, present: bool, problems: &mut Problems| {
            if creating && !present {
                problems.add(field, "is required");
            }
        };
        require("title", self.title.is_some(), problems);
        require("timeZone", self.time_zone.is_some(), problems);
        require("maxGuests", self.max_guests.is_some(), problems);
        require("nightlyPrice", self.nightly_price.is_some(), problems);
        let address_in = self.address.clone().unwrap_or_default();
        require("address.line1", address_in.line1.is_some(), problems);
        require("address.city", address_in.city.is_some(), problems);
        require("address.country", address_in.country.is_some(), problems);

        let pick = |value: Option<Result<String, String>>, field: &str, problems: &mut Problems| {
            value.and_then(|parsed| problems.check(field, parsed))
        };
        let title = pick(self.title.as_deref().map(|t| text(t, 1, 120)), "title", problems);
        let description = pick(
            self.description.as_deref().map(|d| text(d, 0, 5000)),
            "description",
            problems,
        );
        let instructions = pick(
            self.check_in_instructions
                .as_deref()
                .map(|d| text(d, 0, MAX_INSTRUCTIONS_CHARS)),
            "checkInInstructions",
            problems,
        );
        let line1 = pick(
            address_in.line1.as_deref().map(|v| text(v, 1, 200)),
            "address.line1",
            problems,
        );
        let city = pick(
            address_in.city.as_deref().map(|v| text(v, 1, 100)),
            "address.city",
            problems,
        );
        let country = pick(
            address_in.country.as_deref().map(parse_country),
            "address.country",
            problems,
        );
        let region = problems.check("address.region", optional_text(address_in.region.as_ref(), 100));
        let postal_code = problems.check("address.postalCode", optional_text(address_in.postal_code.as_ref(), 20));
        let tz = pick(self.time_zone.as_deref().map(time_zone), "timeZone", problems);
        let check_in = pick(self.check_in_time.as_deref().map(clock_time), "checkInTime", problems);
        let check_out = pick(self.check_out_time.as_deref().map(clock_time), "checkOutTime", problems);
        let policy = self
            .cancellation_policy
            .as_deref()
            .and_then(|raw| problems.check("cancellationPolicy", CancellationPolicy::parse(raw)));
        let max_guests = self
            .max_guests
            .and_then(|v| problems.check("maxGuests", count(v, 1, 50)));
        let bedrooms = self.bedrooms.and_then(|v| problems.check("bedrooms", count(v, 0, 50)));
        let beds = self.beds.and_then(|v| problems.check("beds", count(v, 0, 50)));
        let baths = self.bathrooms.and_then(|v| problems.check("bathrooms", bathrooms(v)));
        let amenity_list = self
            .amenities
            .as_deref()
            .and_then(|v| problems.check("amenities", amenities(v)));
        let nightly = self
            .nightly_price
            .as_ref()
            .and_then(|m| problems.check("nightlyPrice", m.parse(1, MAX_AMOUNT)));
        let cleaning = self
            .cleaning_fee
            .as_ref()
            .and_then(|m| problems.check("cleaningFee", m.parse(0, MAX_AMOUNT)));
        let min_nights = self
            .min_nights
            .and_then(|v| problems.check("minNights", count(v, 1, MAX_NIGHTS_LIMIT)));
        let max_nights = self
            .max_nights
            .and_then(|v| problems.check("maxNights", count(v, 1, MAX_NIGHTS_LIMIT)));
        let position = match &self.location {
            None => None,
            Some(None) => Some(None),
            Some(Some(input)) => location(input, problems).map(Some),
        };

        // Rules between fields, on the values the result will have, checked before anything
        // below gives up on a missing field so that every bad field is named.
        let effective_nightly = nightly.or_else(|| base.map(|b| b.nightly_price));
        let effective_cleaning = cleaning.or_else(|| base.map(|b| b.cleaning_fee));
        if let (Some(nightly), Some(cleaning)) = (effective_nightly, effective_cleaning)
            && nightly.currency != cleaning.currency
        {
            problems.add("cleaningFee", "must be in the nightly price's currency");
        }
        let effective_min = min_nights.or_else(|| base.map(|b| b.min_nights)).unwrap_or(1);
        let effective_max = max_nights.or_else(|| base.map(|b| b.max_nights)).unwrap_or(30);
        if effective_max < effective_min && (self.min_nights.is_none() || min_nights.is_some()) {
            problems.add("maxNights", "must not be below minNights");
        }

        let base_address = base.map(|b| b.address.clone());
        let address = Address {
            line1: line1.or_else(|| base_address.as_ref().map(|a| a.line1.clone()))?,
            city: city.or_else(|| base_address.as_ref().map(|a| a.city.clone()))?,
            region: if address_in.region.is_some() {
                region.flatten()
            } else {
                base_address.as_ref().and_then(|a| a.region.clone())
            },
            country: country.or_else(|| base_address.as_ref().map(|a| a.country.clone()))?,
            postal_code: if address_in.postal_code.is_some() {
                postal_code.flatten()
            } else {
                base_address.as_ref().and_then(|a| a.postal_code.clone())
            },
        };
        let nightly_price = nightly.or_else(|| base.map(|b| b.nightly_price))?;
        let listing = Listing {
            title: title.or_else(|| base.map(|b| b.title.clone()))?,
            description: description
                .or_else(|| base.map(|b| b.description.clone()))
                .unwrap_or_default(),
            address,
            time_zone: tz.or_else(|| base.map(|b| b.time_zone.clone()))?,
            max_guests: max_guests.or_else(|| base.map(|b| b.max_guests))?,
            bedrooms: bedrooms.or_else(|| base.map(|b| b.bedrooms)).unwrap_or(1),
            beds: beds.or_else(|| base.map(|b| b.beds)).unwrap_or(1),
            bathrooms: baths.or_else(|| base.map(|b| b.bathrooms)).unwrap_or(1.0),
            amenities: amenity_list
                .or_else(|| base.map(|b| b.amenities.clone()))
                .unwrap_or_default(),
            nightly_price,
            cleaning_fee: cleaning
                .or_else(|| base.map(|b| b.cleaning_fee))
                .unwrap_or(Money::new(0, nightly_price.currency)),
            min_nights: min_nights.or_else(|| base.map(|b| b.min_nights)).unwrap_or(1),
            max_nights: max_nights.or_else(|| base.map(|b| b.max_nights)).unwrap_or(30),
            check_in_time: check_in
                .or_else(|| base.map(|b| b.check_in_time.clone()))
                .unwrap_or_else(|| "15:00".to_owned()),
            check_out_time: check_out
                .or_else(|| base.map(|b| b.check_out_time.clone()))
                .unwrap_or_else(|| "11:00".to_owned()),
            instant_book: self
                .instant_book
                .or_else(|| base.map(|b| b.instant_book))
                .unwrap_or(true),
            cancellation_policy: policy
                .or_else(|| base.map(|b| b.cancellation_policy))
                .unwrap_or(CancellationPolicy::Moderate),
            check_in_instructions: instructions
                .or_else(|| base.map(|b| b.check_in_instructions.clone()))
                .unwrap_or_default(),
            location: match position {
                Some(position) => position,
                None => base.and_then(|b| b.location),
            },
        };
        Some(listing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: serde_json::Value, base: Option<&Listing>) -> Result<Listing, Vec<String>> {
        let input: PropertyInput = serde_json::from_value(json).unwrap();
        let mut problems = Problems::new();
        let listing = input.listing(base, &mut problems);
        match problems.finish() {
            Ok(()) => Ok(listing.unwrap()),
            Err(crate::error::ApiError::Validation(details)) => Err(details.into_iter().map(|d| d.field).collect()),
            Err(other) => panic!("{other:?}"),
        }
    }

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "title": "Loft", "address": {"line1": "Main 1", "city": "Zürich", "country": "ch"},
            "timeZone": "Europe/Zurich", "maxGuests": 2, "nightlyPrice": {"amount": 12000, "currency": "CHF"}
        })
    }

    #[test]
    fn create_applies_the_defaults() {
        let listing = parse(minimal(), None).unwrap();
        assert_eq!(listing.address.country, "CH");
        assert_eq!((listing.bedrooms, listing.beds, listing.bathrooms), (1, 1, 1.0));
        assert_eq!((listing.min_nights, listing.max_nights), (1, 30));
        assert_eq!(
            (listing.check_in_time.as_str(), listing.check_out_time.as_str()),
            ("15:00", "11:00")
        );
        assert_eq!(listing.cleaning_fee.amount, 0);
        assert!(listing.instant_book);
        assert_eq!(listing.cancellation_policy, CancellationPolicy::Moderate);
    }

    #[test]
    fn create_names_every_missing_and_bad_field() {
        let mut fields = parse(serde_json::json!({"bathrooms": 1.25, "maxNights": 91}), None).unwrap_err();
        fields.sort();
        assert_eq!(
            fields,
            [
                "address.city",
                "address.country",
                "address.line1",
                "bathrooms",
                "maxGuests",
                "maxNights",
                "nightlyPrice",
                "timeZone",
                "title"
            ]
        );
        let mut bad = minimal();
        bad["timeZone"] = "Mars/Olympus".into();
        bad["cleaningFee"] = serde_json::json!({"amount": 100, "currency": "EUR"});
        bad["checkInTime"] = "3pm".into();
        bad["minNights"] = 10.into();
        bad["maxNights"] = 5.into();
        bad["cancellationPolicy"] = "lenient".into();
        let mut fields = parse(bad, None).unwrap_err();
        fields.sort();
        assert_eq!(
            fields,
            [
                "cancellationPolicy",
                "checkInTime",
                "cleaningFee",
                "maxNights",
                "timeZone"
            ]
        );
    }

    #[test]
    fn patch_merges_with_what_is_stored() {
        let base = parse(minimal(), None).unwrap();
        let patched = parse(
            serde_json::json!({"maxNights": 7, "address": {"postalCode": "8001"}}),
            Some(&base),
        )
        .unwrap();
        assert_eq!(patched.max_nights, 7);
        assert_eq!(patched.address.city, "Zürich");
        assert_eq!(patched.address.postal_code.as_deref(), Some("8001"));
        assert_eq!(patched.title, "Loft");
        let err = parse(serde_json::json!({"minNights": 40}), Some(&base)).unwrap_err();
        assert_eq!(err, ["maxNights"]);
    }
}
