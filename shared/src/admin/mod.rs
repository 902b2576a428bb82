//! Trust and safety: what an admin may do (suspend and reinstate accounts, unlist and relist
//! properties, cancel bookings with a full refund, remove reviews), each recorded in the
//! audit log in the same transaction as the change.
//!
//! The role is granted only by an operator ([`roles`]); every use case here starts with
//! [`Principal::ensure_admin`]. The moderation of each area lives with that area
//! (`properties::listing`, `bookings::actions::cancel_as_admin`, `reviews::remove`); this
//! module holds what they share: the reason, the audit entry, the accounts.

pub mod accounts;
pub mod audit;
pub mod http;
pub mod roles;

use serde::Deserialize;

pub use audit::{AuditAction, AuditEntry};

use crate::error::{ApiError, FieldError};

/// Longest reason an admin gives: the same as a booking move's.
pub use crate::bookings::actions::MAX_REASON_CHARS;

/// Body of an admin action: `{"reason": "..."}` (required where the action says so).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// 1..500 characters once trimmed: why, for the audit log (and the booking's history).
    #[schema(min_length = 1, max_length = 500)]
    pub reason: Option<String>,
}

/// The reason of `action`, by the rule of every reason (trimmed, empty is none, over 500
/// characters is `422`), and `422` naming `reason` when the action needs one and it is none.
pub fn reason(action: AuditAction, input: Option<ReasonInput>) -> Result<Option<String>, ApiError> {
    match crate::bookings::actions::reason_text(input.and_then(|input| input.reason))? {
        None if action.needs_reason() => Err(ApiError::Validation(vec![FieldError::new(
            "reason",
            "is required: say why, for the audit log",
        )])),
        reason => Ok(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(reason: &str) -> Option<ReasonInput> {
        Some(ReasonInput {
            reason: Some(reason.to_owned()),
        })
    }

    #[test]
    fn reasons_are_trimmed_bounded_and_required_where_needed() {
        assert_eq!(
            reason(AuditAction::SuspendUser, input("  spam  ")).unwrap(),
            Some("spam".to_owned())
        );
        assert!(reason(AuditAction::SuspendUser, None).is_err());
        assert!(reason(AuditAction::SuspendUser, input("   ")).is_err());
        assert_eq!(reason(AuditAction::ReinstateUser, None).unwrap(), None);
        assert!(reason(AuditAction::RelistProperty, input(&"x".repeat(501))).is_err());
        assert!(reason(AuditAction::RemoveReview, input(&"é".repeat(500))).is_ok());
    }
}
