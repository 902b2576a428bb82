//! The audit log: one item per admin action (`AUDIT` / `<time>#<id>`), put in the same
//! transaction as the change it records, and paged newest first by time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::auth::Principal;
use crate::error::{ApiError, Problems};
use crate::store::keys::{self, kind};
use crate::store::{Condition, Index, Item, Query, SortKeyRange, StoreError, TxAction};

/// What an admin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SuspendUser,
    ReinstateUser,
    UnlistProperty,
    RelistProperty,
    CancelBooking,
    RemoveReview,
    /// By an operator's command (`adminId` is `operator`), never through the API.
    GrantAdmin,
    RevokeAdmin,
}

impl AuditAction {
    /// Whether the action needs a reason: taking something away does; giving it back may
    /// say why.
    pub fn needs_reason(self) -> bool {
        !matches!(
            self,
            AuditAction::ReinstateUser
                | AuditAction::RelistProperty
                | AuditAction::GrantAdmin
                | AuditAction::RevokeAdmin
        )
    }
}

/// The `adminId` of what an operator did from the command line (granting the role).
pub const OPERATOR: &str = "operator";

/// One admin action as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: String,
    pub admin_id: String,
    pub action: AuditAction,
    /// The user, property, booking or review acted on.
    pub subject_id: String,
    pub reason: Option<String>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
}

impl AuditEntry {
    /// A new entry: `admin` did `action` to `subject_id` at `at`.
    pub fn new(
        admin: &Principal,
        action: AuditAction,
        subject_id: &str,
        reason: Option<String>,
        at: DateTime<Utc>,
    ) -> Self {
        Self::by(&admin.user_id, action, subject_id, reason, at)
    }

    /// A new entry made by `actor` (an admin's id, or [`OPERATOR`]).
    pub fn by(actor: &str, action: AuditAction, subject_id: &str, reason: Option<String>, at: DateTime<Utc>) -> Self {
        Self {
            id: crate::ids::new_id(),
            admin_id: actor.to_owned(),
            action,
            subject_id: subject_id.to_owned(),
            reason,
            at,
        }
    }

    /// The put that records it: part of the transaction of the change.
    pub fn record(&self) -> Result<TxAction, StoreError> {
        Ok(TxAction::Put {
            item: Item::new(
                keys::audit_entry(&crate::time::sortable(self.at), &self.id),
                kind::AUDIT_ENTRY,
                self,
            )?,
            condition: Condition::Absent,
        })
    }
}

/// The query parameters of `GET /admin/audit`, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditQuery<'a> {
    /// RFC 3339, included.
    pub from: Option<&'a str>,
    /// RFC 3339, excluded.
    pub to: Option<&'a str>,
    pub limit: u32,
    pub cursor: Option<&'a str>,
}

/// A timestamp parameter: `400` when malformed.
fn instant(name: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|at| Some(at.with_timezone(&Utc)))
            .map_err(|_| ApiError::bad_request(format!("{name} must be an RFC 3339 timestamp"))),
    }
}

/// One page of the audit log, newest first, `from` (included) to `to` (excluded).
pub async fn list(
    app: &App,
    admin: &Principal,
    query: AuditQuery<'_>,
) -> Result<(Vec<AuditEntry>, Option<String>), ApiError> {
    admin.ensure_admin()?;
    let from = instant("from", query.from)?;
    let to = instant("to", query.to)?;
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        let mut problems = Problems::new();
        problems.add("to", "must be after from");
        problems.finish()?;
    }
    // Sort keys are `<time>#<id>`: a bare time sorts before every entry at that time, so
    // `from` includes them and `to` leaves them out.
    let low = from.map(crate::time::sortable);
    let high = to.map(crate::time::sortable);
    let range = match (low, high) {
        (Some(low), Some(high)) => SortKeyRange::Between(low, high),
        (Some(low), None) => SortKeyRange::From(low),
        (None, Some(high)) => SortKeyRange::Until(high),
        (None, None) => SortKeyRange::All,
    };
    let scope = format!(
        "admin-audit:{}:{}",
        from.map(crate::time::sortable).unwrap_or_default(),
        to.map(crate::time::sortable).unwrap_or_default()
    );
    let now = app.clock.now();
    let start = app.signing_keys().await?.cursors.resume(query.cursor, &scope, now)?;
    let page = app
        .store
        .query(
            Query::partition(Index::Table, keys::AUDIT_PARTITION)
                .range(range)
                .limit(query.limit)
                .start(start)
                .descending(),
        )
        .await?;
    let entries = page
        .items
        .into_iter()
        .map(Item::into_record)
        .collect::<Result<Vec<AuditEntry>, _>>()?;
    let next = app.signing_keys().await?.cursors.next_page(&scope, page.next, now)?;
    Ok((entries, next))
}
