//! Conversations and messages as stored and as shown.
//!
//! A conversation has no record of its own beyond its claim (`CONVOF#<guest>#<property>`):
//! each participant has an entry in the conversation's partition holding everything the
//! conversation view shows (ids, bookings, inquiry, last message) plus that participant's
//! unread counter, listed in the participant's inbox (gsi1) by the last message's time. So an
//! inbox page is one query, a conversation is one read (which is also the participant
//! check), and a message is one transaction of three writes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::store::keys::{self, kind};
use crate::store::{Item, StoreError};

/// The sender of a system message.
pub const SYSTEM_SENDER: &str = "system";

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Written by the guest or the host.
    Text,
    /// Posted by the platform from a booking's events.
    System,
}

/// What a system message announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SystemEvent {
    BookingRequested,
    BookingConfirmed,
    BookingDeclined,
    BookingCancelled,
    BookingExpired,
    CheckedIn,
    CheckedOut,
    CheckInInstructions,
}

impl SystemEvent {
    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SystemEvent::BookingRequested => "booking_requested",
            SystemEvent::BookingConfirmed => "booking_confirmed",
            SystemEvent::BookingDeclined => "booking_declined",
            SystemEvent::BookingCancelled => "booking_cancelled",
            SystemEvent::BookingExpired => "booking_expired",
            SystemEvent::CheckedIn => "checked_in",
            SystemEvent::CheckedOut => "checked_out",
            SystemEvent::CheckInInstructions => "check_in_instructions",
        }
    }
}

/// A message, as stored (`CONV#<id>` / `MSG#<at>#<id>`) and as shown. Never edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    /// A user id, or `system`.
    pub sender_id: String,
    pub kind: MessageKind,
    pub body: String,
    /// For system messages: what happened.
    pub event: Option<SystemEvent>,
    pub booking_id: Option<String>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

impl Message {
    /// The item storing this message.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        Item::new(
            keys::message(&self.conversation_id, &crate::time::sortable(self.created_at), &self.id),
            kind::MESSAGE,
            self,
        )
    }
}

/// The dates a guest asked about (nothing is held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inquiry {
    #[schema(value_type = String, format = Date, example = "2026-12-24")]
    pub check_in: NaiveDate,
    #[schema(value_type = String, format = Date, example = "2026-12-27")]
    pub check_out: NaiveDate,
    pub guests: u32,
}

/// Who a conversation is between, as its claim records it (`CONVOF#<guest>#<property>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parties {
    pub conversation_id: String,
    pub property_id: String,
    pub guest_id: String,
    pub host_id: String,
}

impl Parties {
    /// The other participant than `user_id`.
    pub fn other(&self, user_id: &str) -> &str {
        if user_id == self.guest_id {
            &self.host_id
        } else {
            &self.guest_id
        }
    }

    /// Both participants, guest first.
    pub fn members(&self) -> [&str; 2] {
        [&self.guest_id, &self.host_id]
    }
}

/// One participant's entry of a conversation (`CONV#<id>` / `MEMBER#<userId>`).
///
/// `bookingIds` is a string set that only updates change (a ULID set reads back ascending,
/// which is oldest first), so it is never written by the put that creates the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    #[serde(flatten)]
    pub parties: Parties,
    /// Whose entry this is.
    pub user_id: String,
    #[serde(default, skip_serializing)]
    pub booking_ids: Vec<String>,
    #[serde(default)]
    pub inquiry: Option<Inquiry>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub last_message: Option<Message>,
    /// Messages from the other side, and system messages, since the last read marker.
    #[serde(default)]
    pub unread_count: i64,
    #[serde(default)]
    pub last_read_at: Option<DateTime<Utc>>,
}

impl Member {
    /// When the inbox orders this conversation: its last message, or its creation.
    pub fn last_at(&self) -> DateTime<Utc> {
        self.last_message.as_ref().map_or(self.created_at, |m| m.created_at)
    }

    /// The item storing this entry, in its participant's inbox.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let item = Item::new(
            keys::conversation_member(&self.parties.conversation_id, &self.user_id),
            kind::CONVERSATION_MEMBER,
            self,
        )?;
        Ok(item.with_gsi1(keys::inbox_index(
            &self.user_id,
            &crate::time::sortable(self.last_at()),
            &self.parties.conversation_id,
        )))
    }
}

/// A conversation as a participant sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    pub id: String,
    pub property_id: String,
    pub guest_id: String,
    pub host_id: String,
    /// Its bookings, oldest first.
    pub booking_ids: Vec<String>,
    pub inquiry: Option<Inquiry>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    pub last_message: Option<Message>,
    /// Messages from the other side, and system messages, the caller has not read.
    pub unread_count: i64,
}

impl From<&Member> for ConversationView {
    fn from(m: &Member) -> Self {
        Self {
            id: m.parties.conversation_id.clone(),
            property_id: m.parties.property_id.clone(),
            guest_id: m.parties.guest_id.clone(),
            host_id: m.parties.host_id.clone(),
            booking_ids: m.booking_ids.clone(),
            inquiry: m.inquiry,
            created_at: m.created_at,
            last_message: m.last_message.clone(),
            unread_count: m.unread_count.max(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_entry_writes_no_booking_set_and_sits_in_its_inbox() {
        let member = Member {
            parties: Parties {
                conversation_id: "C".into(),
                property_id: "P".into(),
                guest_id: "G".into(),
                host_id: "H".into(),
            },
            user_id: "G".into(),
            booking_ids: vec!["B".into()],
            inquiry: None,
            created_at: Utc::now(),
            last_message: None,
            unread_count: 0,
            last_read_at: None,
        };
        let item = member.to_item().unwrap();
        assert!(!item.attrs.contains_key("bookingIds"));
        assert_eq!(item.gsi1.unwrap().pk, keys::inbox("G"));
        assert_eq!(member.parties.other("G"), "H");
        assert_eq!(member.parties.other("H"), "G");
        for event in [SystemEvent::BookingRequested, SystemEvent::CheckInInstructions] {
            assert_eq!(serde_json::to_value(event).unwrap(), event.as_str());
        }
    }
}
