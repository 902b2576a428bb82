//! The rules a requested stay must meet, shared by the quote and by booking creation.

use chrono::{DateTime, NaiveDate, Utc};

use super::model::Terms;
use super::price::PriceBreakdown;
use crate::error::{ApiError, Problems};
use crate::properties::Property;
use crate::properties::calendar::Stay;

/// A stay a guest may book at `property`: dates, party size and price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StayRequest {
    pub stay: Stay,
    pub guests: u32,
    pub price: PriceBreakdown,
}

/// Checks a stay against `property` at `now`, adding to what the caller found (`422` naming
/// every broken rule): check-out
/// after check-in, check-in not before today in the property's zone, nights within the
/// property's min and max, guests within 1..maxGuests.
pub fn check(
    property: &Property,
    check_in: Option<NaiveDate>,
    check_out: Option<NaiveDate>,
    guests: Option<i64>,
    now: DateTime<Utc>,
    mut problems: Problems,
) -> Result<StayRequest, ApiError> {
    // A field the caller already found malformed is not also reported missing.
    for (field, given) in [
        ("checkIn", check_in.is_some()),
        ("checkOut", check_out.is_some()),
        ("guests", guests.is_some()),
    ] {
        if !given && !problems.names(field) {
            problems.add(field, "is required");
        }
    }
    let today = Terms::of(property).today(now);
    if let Some(check_in) = check_in
        && check_in < today
    {
        problems.add(
            "checkIn",
            format!("must not be in the past (today is {today} at the property)"),
        );
    }
    let stay = match (check_in, check_out) {
        (Some(check_in), Some(check_out)) => match Stay::new(check_in, check_out) {
            None => {
                problems.add("checkOut", "must be after checkIn");
                None
            }
            Some(stay) => {
                let (min, max) = (i64::from(property.min_nights), i64::from(property.max_nights));
                if !(min..=max).contains(&stay.nights()) {
                    problems.add(
                        "checkOut",
                        format!("the stay must be {min}..{max} nights at this property"),
                    );
                }
                Some(stay)
            }
        },
        _ => None,
    };
    let guests = guests.and_then(|guests| {
        let max = i64::from(property.max_guests);
        if (1..=max).contains(&guests) {
            u32::try_from(guests).ok()
        } else {
            problems.add("guests", format!("must be 1..{max} at this property"));
            None
        }
    });
    problems.finish()?;
    let (Some(stay), Some(guests)) = (stay, guests) else {
        return Err(ApiError::internal("validation passed without a stay"));
    };
    let nights = u32::try_from(stay.nights()).map_err(ApiError::internal)?;
    let price = PriceBreakdown::of(property, nights).map_err(ApiError::internal)?;
    Ok(StayRequest { stay, guests, price })
}
