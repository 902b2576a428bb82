//! Bookings: quotes, creation with night holds, the life cycle (pay, accept, decline, cancel,
//! expire, check in, check out) and the guest's and host's lists.

pub mod actions;
pub mod consumer;
pub mod create;
pub mod lifecycle;
pub mod list;
pub mod model;
pub mod price;
pub mod quote;
pub mod refund;
pub mod request;
mod stored;

pub use model::{Booking, BookingStatus, BookingView};
pub use price::PriceBreakdown;

use crate::App;
use crate::auth::Principal;
use crate::error::ApiError;

pub(crate) const NOT_FOUND: ApiError = ApiError::NotFound("booking not found");

/// A booking the principal is the guest or host of; anyone else gets `404`, which does not
/// reveal that the booking exists.
pub async fn get(app: &App, principal: &Principal, booking_id: &str) -> Result<Booking, ApiError> {
    match lifecycle::load(app, booking_id).await? {
        Some((booking, _)) if booking.involves(&principal.user_id) => Ok(booking),
        _ => Err(NOT_FOUND),
    }
}
