//! The moves people make: the host accepts or declines, either side cancels, checks in and
//! checks out.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::lifecycle::{self, Move, MoveError, Transition};
use super::model::{Booking, BookingStatus, BookingView};
use super::{NOT_FOUND, refund};
use crate::App;
use crate::auth::Principal;
use crate::auth::authenticate;
use crate::error::{ApiError, FieldError};
use crate::http::{HandlerResult, Request, StatusCode, json, optional_json_body, path_param};
use crate::idempotency;
use crate::money::Money;

/// Longest reason kept in the history.
pub const MAX_REASON_CHARS: usize = 500;

/// Body of an action route: empty, or `{"reason": "..."}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// Up to 500 characters, kept in the booking's history.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// What a person can do to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Decline,
    Cancel,
    CheckIn,
    CheckOut,
}

impl Action {
    fn transition(self) -> Transition {
        match self {
            Action::Accept => Transition::Accept,
            Action::Decline => Transition::Decline,
            Action::Cancel => Transition::Cancel,
            Action::CheckIn => Transition::CheckIn,
            Action::CheckOut => Transition::CheckOut,
        }
    }

    /// The route, the scope of its idempotency keys.
    fn route(self) -> &'static str {
        match self {
            Action::Accept => "POST /bookings/{id}/accept",
            Action::Decline => "POST /bookings/{id}/decline",
            Action::Cancel => "POST /bookings/{id}/cancel",
            Action::CheckIn => "POST /bookings/{id}/check-in",
            Action::CheckOut => "POST /bookings/{id}/check-out",
        }
    }

    fn host_only(self) -> bool {
        matches!(self, Action::Accept | Action::Decline)
    }
}

/// The reason of an action body: trimmed, empty is none, over 500 characters is `422`.
fn reason(input: Option<ActionInput>) -> Result<Option<String>, ApiError> {
    reason_text(input.and_then(|input| input.reason))
}

/// A reason as given (a booking move's or an admin's): trimmed, empty is none, over
/// [`MAX_REASON_CHARS`] characters is `422` naming `reason`.
pub fn reason_text(raw: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::Validation(vec![FieldError::new(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters"),
        )]));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// Who may do what, and when: only the guest and host see the booking at all (`404`
/// otherwise), only the host answers a request (`403`), and check-in is open from 00:00 of
/// the check-in day until the check-out instant, in the property's zone (`409` otherwise).
fn allowed(action: Action, principal: &Principal, booking: &Booking, now: DateTime<Utc>) -> Result<(), ApiError> {
    if !booking.involves(&principal.user_id) {
        return Err(NOT_FOUND);
    }
    if action.host_only() && booking.host_id != principal.user_id {
        return Err(ApiError::Forbidden(
            "only the property's host answers a booking request",
        ));
    }
    if action == Action::CheckIn && booking.status == BookingStatus::Confirmed {
        let opens = booking.terms.start_of(booking.check_in);
        let closes = booking.terms.check_out_at(booking.check_out);
        if now < opens {
            return Err(ApiError::conflict(format!(
                "check-in opens at 00:00 on {} in the property's time zone",
                booking.check_in
            )));
        }
        if now >= closes {
            return Err(ApiError::conflict("the stay is over: its check-out time has passed"));
        }
    }
    Ok(())
}

/// What the guest gets back when `principal` makes `action` at `now`: a decline, a host's
/// cancellation and the withdrawal of a request the host has not accepted refund in full;
/// a guest's cancellation of a confirmed stay follows the property's policy. While the
/// booking awaits payment nothing is refunded, unless a payment just succeeded and its
/// outcome has not moved the booking on yet: then that payment goes back in full.
fn refund_for(action: Action, principal: &Principal, booking: &Booking, now: DateTime<Utc>) -> Option<Money> {
    match (action, booking.status) {
        (Action::Decline, _) => Some(booking.price.total),
        (Action::Cancel, BookingStatus::PendingPayment) => booking.paid_by.as_ref().map(|_| booking.price.total),
        (Action::Cancel, BookingStatus::Confirmed) if principal.user_id == booking.guest_id => {
            let check_in_at = booking.terms.check_in_at(booking.check_in);
            let tier = refund::tier(booking.terms.cancellation_policy, booking.created_at, check_in_at, now);
            Some(refund::amount(tier, &booking.price))
        }
        (Action::Cancel, _) => Some(booking.price.total),
        _ => None,
    }
}

/// Makes `action` on a booking for `principal`; the answer is the booking after it. With an
/// `Idempotency-Key`, the same request sent again after its move was made (its answer lost
/// to a timeout or a `503`) answers the booking as it is instead of `409`.
pub async fn act(
    app: &App,
    principal: &Principal,
    booking_id: &str,
    action: Action,
    input: Option<ActionInput>,
    idempotency_key: Option<&str>,
) -> Result<Booking, ApiError> {
    let step = Move {
        transition: action.transition(),
        actor: principal.user_id.clone(),
        reason: reason(input)?,
        request: idempotency_key.map(|key| idempotency::request_id(&principal.user_id, action.route(), key)),
        also: Vec::new(),
    };
    let result = lifecycle::apply(
        app,
        booking_id,
        step.clone(),
        |booking, now| allowed(action, principal, booking, now),
        |booking, now| refund_for(action, principal, booking, now),
    )
    .await;
    match result {
        Ok(booking) => Ok(booking),
        Err(MoveError::NotFound) => Err(NOT_FOUND),
        // The same person's same move, already made (a retry of a request whose answer was
        // lost): the booking as it is, and nothing done twice.
        Err(MoveError::Illegal { current, .. }) if lifecycle::is_last_move(&current, &step) => Ok(*current),
        // Its key made the last move, with another reason: the key's other request, `422`.
        Err(MoveError::Illegal { current, .. }) if lifecycle::made_by_its_request(&current, &step) => {
            Err(idempotency::key_reused())
        }
        Err(MoveError::Illegal { from, .. }) => Err(illegal(action.transition(), from)),
        Err(MoveError::Api(err)) => Err(err),
    }
}

/// The `409` of a move the booking's state does not allow.
fn illegal(transition: Transition, from: BookingStatus) -> ApiError {
    ApiError::conflict(format!(
        "cannot {} a booking that is {}",
        transition.verb(),
        from.as_str()
    ))
}

/// `POST /admin/bookings/{id}/cancel`: an admin cancels a booking that has not begun
/// (`pending_payment`, `awaiting_host` or `confirmed`; else `409`), refunding whatever was
/// paid in full through the same refund path as every cancellation, with the admin as the
/// history's actor and the audit entry in the move's transaction.
pub async fn cancel_as_admin(
    app: &App,
    admin: &Principal,
    booking_id: &str,
    input: Option<crate::admin::ReasonInput>,
) -> Result<Booking, ApiError> {
    use crate::admin::{AuditAction, AuditEntry};
    admin.ensure_admin()?;
    let why = crate::admin::reason(AuditAction::CancelBooking, input)?;
    let entry = AuditEntry::new(
        admin,
        AuditAction::CancelBooking,
        booking_id,
        why.clone(),
        app.clock.now(),
    );
    let step = Move {
        transition: Transition::Cancel,
        actor: admin.user_id.clone(),
        reason: why,
        request: None,
        also: vec![entry.record()?],
    };
    // Everything paid goes back: nothing while unpaid (unless a payment just succeeded).
    let full = |booking: &Booking, _now| match booking.status {
        BookingStatus::PendingPayment => booking.paid_by.as_ref().map(|_| booking.price.total),
        _ => Some(booking.price.total),
    };
    match lifecycle::apply(app, booking_id, step, |_, _| Ok(()), full).await {
        Ok(booking) => {
            tracing::info!(booking_id, admin_id = %admin.user_id, "booking cancelled by an admin");
            Ok(booking)
        }
        Err(MoveError::NotFound) => Err(NOT_FOUND),
        Err(MoveError::Illegal { from, .. }) => Err(illegal(Transition::Cancel, from)),
        Err(MoveError::Api(err)) => Err(err),
    }
}

/// The whole of an action route (`POST /bookings/{id}/<action>`): signed in, optional
/// `{"reason"}` body, `200` with the booking after the move.
pub async fn handle(app: &App, req: Request, action: Action) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: Option<ActionInput> = optional_json_body(&req)?;
    let booking_id = path_param(&req, "id")?;
    let key = idempotency::header_key(&req)?;
    let booking = act(app, &principal, booking_id, action, input, key).await?;
    json(StatusCode::OK, &BookingView::from(&booking))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;
    use crate::bookings::model::{HistoryEntry, Terms};
    use crate::bookings::price::PriceBreakdown;
    use crate::money::Currency;
    use crate::properties::model::CancellationPolicy;

    fn booking(time_zone: &str, policy: CancellationPolicy) -> Booking {
        let eur = |amount| Money::new(amount, Currency::parse("EUR").unwrap());
        let booked_at = "2026-01-01T00:00:00Z".parse().unwrap();
        Booking {
            id: "B".into(),
            property_id: "P".into(),
            guest_id: "guest".into(),
            host_id: "host".into(),
            check_in: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            check_out: NaiveDate::from_ymd_opt(2027, 3, 4).unwrap(),
            guests: 2,
            status: BookingStatus::Confirmed,
            price: PriceBreakdown::compute(eur(10_000), eur(2_000), 3).unwrap(),
            terms: Terms {
                time_zone: time_zone.into(),
                check_in_time: "15:00".into(),
                check_out_time: "11:00".into(),
                cancellation_policy: policy,
                instant_book: true,
            },
            hold_expires_at: booked_at,
            checked_in_at: None,
            checked_out_at: None,
            refund: None,
            paid_by: None,
            conversation_id: None,
            created_at: booked_at,
            history: vec![HistoryEntry {
                status: BookingStatus::PendingPayment,
                actor: "guest".into(),
                at: booked_at,
                reason: None,
            }],
            last_request: None,
        }
    }

    fn principal(user_id: &str) -> Principal {
        Principal {
            user_id: user_id.into(),
            roles: vec![],
        }
    }

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn the_refund_is_measured_to_check_in_in_the_property_zone() {
        let guest = principal("guest");
        let second = Duration::seconds(1);
        // Kiritimati is UTC+14: 2027-03-01 15:00 there is 01:00 UTC the same day.
        let far_east = booking("Pacific/Kiritimati", CancellationPolicy::Moderate);
        let five_days = at("2027-02-24T01:00:00Z");
        let refund = |b: &Booking, now| refund_for(Action::Cancel, &guest, b, now);
        assert_eq!(refund(&far_east, five_days), Some(far_east.price.total));
        assert_eq!(
            refund(&far_east, five_days + second).map(|m| m.amount),
            Some(15_000 + 2_000)
        );
        // Pago Pago is UTC-11: the same local time is 02:00 UTC the next day.
        let far_west = booking("Pacific/Pago_Pago", CancellationPolicy::Flexible);
        let day_before = at("2027-03-01T02:00:00Z");
        assert_eq!(refund(&far_west, day_before), Some(far_west.price.total));
        assert_eq!(refund(&far_west, day_before + second).map(|m| m.amount), Some(0));
    }

    #[test]
    fn hosts_and_declines_refund_everything_and_unpaid_bookings_nothing() {
        let mut b = booking("Europe/Berlin", CancellationPolicy::Strict);
        let late = at("2027-03-01T13:00:00Z");
        assert_eq!(
            refund_for(Action::Cancel, &principal("guest"), &b, late).map(|m| m.amount),
            Some(0)
        );
        assert_eq!(
            refund_for(Action::Cancel, &principal("host"), &b, late),
            Some(b.price.total)
        );
        b.status = BookingStatus::AwaitingHost;
        assert_eq!(
            refund_for(Action::Decline, &principal("host"), &b, late),
            Some(b.price.total)
        );
        assert_eq!(
            refund_for(Action::Cancel, &principal("guest"), &b, late),
            Some(b.price.total)
        );
        b.status = BookingStatus::PendingPayment;
        assert_eq!(refund_for(Action::Cancel, &principal("guest"), &b, late), None);
    }

    #[test]
    fn check_in_opens_at_local_midnight_and_closes_at_check_out() {
        let b = booking("Pacific/Kiritimati", CancellationPolicy::Moderate);
        let guest = principal("guest");
        // 2027-03-01 00:00 at UTC+14 is 2027-02-28 10:00 UTC.
        assert!(allowed(Action::CheckIn, &guest, &b, at("2027-02-28T09:59:59Z")).is_err());
        assert!(allowed(Action::CheckIn, &guest, &b, at("2027-02-28T10:00:00Z")).is_ok());
        // Check-out 2027-03-04 11:00 local is 2027-03-03 21:00 UTC.
        assert!(allowed(Action::CheckIn, &guest, &b, at("2027-03-03T20:59:59Z")).is_ok());
        assert!(allowed(Action::CheckIn, &guest, &b, at("2027-03-03T21:00:00Z")).is_err());
        assert_eq!(
            allowed(Action::Cancel, &principal("stranger"), &b, at("2027-02-01T00:00:00Z")),
            Err(NOT_FOUND)
        );
        assert!(matches!(
            allowed(Action::Accept, &guest, &b, at("2027-02-01T00:00:00Z")),
            Err(ApiError::Forbidden(_))
        ));
    }
}
