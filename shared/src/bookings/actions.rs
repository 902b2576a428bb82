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
use crate::money::Money;

/// Longest reason kept in the history.
pub const MAX_REASON_CHARS: usize = 500;

/// Body of an action route: empty, or `{"reason": "..."}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// Up to 500 characters, kept in the booking's history.
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

    fn host_only(self) -> bool {
        matches!(self, Action::Accept | Action::Decline)
    }
}

/// The reason of an action body: trimmed, empty is none, over 500 characters is `422`.
fn reason(input: Option<ActionInput>) -> Result<Option<String>, ApiError> {
    let Some(raw) = input.and_then(|input| input.reason) else {
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
/// a guest's cancellation of a confirmed stay follows the property's policy; nothing was
/// paid while the booking awaits payment.
fn refund_for(action: Action, principal: &Principal, booking: &Booking, now: DateTime<Utc>) -> Option<Money> {
    match (action, booking.status) {
        (Action::Decline, _) => Some(booking.price.total),
        (Action::Cancel, BookingStatus::PendingPayment) => None,
        (Action::Cancel, BookingStatus::Confirmed) if principal.user_id == booking.guest_id => {
            let check_in_at = booking.terms.check_in_at(booking.check_in);
            let tier = refund::tier(booking.terms.cancellation_policy, booking.created_at, check_in_at, now);
            Some(refund::amount(tier, &booking.price))
        }
        (Action::Cancel, _) => Some(booking.price.total),
        _ => None,
    }
}

/// Makes `action` on a booking for `principal`; the answer is the booking after it.
pub async fn act(
    app: &App,
    principal: &Principal,
    booking_id: &str,
    action: Action,
    input: Option<ActionInput>,
) -> Result<Booking, ApiError> {
    let step = Move {
        transition: action.transition(),
        actor: principal.user_id.clone(),
        reason: reason(input)?,
    };
    let result = lifecycle::apply(
        app,
        booking_id,
        step,
        |booking, now| allowed(action, principal, booking, now),
        |booking, now| refund_for(action, principal, booking, now),
    )
    .await;
    match result {
        Ok(booking) => Ok(booking),
        Err(MoveError::NotFound) => Err(NOT_FOUND),
        Err(MoveError::Illegal { from }) => Err(ApiError::conflict(format!(
            "cannot {} a booking that is {}",
            action.transition().verb(),
            from.as_str()
        ))),
        Err(MoveError::Api(err)) => Err(err),
    }
}

/// The whole of an action route (`POST /bookings/{id}/<action>`): signed in, optional
/// `{"reason"}` body, `200` with the booking after the move.
pub async fn handle(app: &App, req: Request, action: Action) -> HandlerResult {
    let principal = authenticate(app, &req)?;
    let input: Option<ActionInput> = optional_json_body(&req)?;
    let booking_id = path_param(&req, "id")?;
    let booking = act(app, &principal, booking_id, action, input).await?;
    json(StatusCode::OK, &BookingView::from(&booking))
}
