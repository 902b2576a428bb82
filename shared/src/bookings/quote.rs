//! `GET /properties/{id}/quote`: the price of a stay, answered like `POST /bookings` would
//! answer for the same stay (`422` for broken rules, `409` naming the first taken night).

use super::price::PriceBreakdown;
use super::request;
use crate::App;
use crate::error::{ApiError, Problems};
use crate::properties::{self, calendar};

/// The query parameters of a quote, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuoteQuery<'a> {
    pub check_in: Option<&'a str>,
    pub check_out: Option<&'a str>,
    pub guests: Option<&'a str>,
}

/// Prices a stay at a live property.
pub async fn quote(app: &App, property_id: &str, query: QuoteQuery<'_>) -> Result<PriceBreakdown, ApiError> {
    let check_in = calendar::query_date("checkIn", query.check_in)?;
    let check_out = calendar::query_date("checkOut", query.check_out)?;
    let guests = match query.guests.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| ApiError::bad_request("guests must be an integer"))?,
        ),
    };
    // A quote commits to nothing: the booking checks again, consistently.
    let property = properties::view(app, property_id).await?;
    properties::listing::ensure_bookable(app, &property).await?;
    let wanted = request::check(&property, check_in, check_out, guests, app.clock.now(), Problems::new())?;
    if let Some(date) = calendar::first_taken(app, &property.id, &wanted.stay).await? {
        return Err(calendar::night_taken(date));
    }
    Ok(wanted.price)
}
