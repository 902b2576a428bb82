//! Messages: guests and hosts talk in conversations, one per guest and property, started by
//! the guest's inquiry or by a booking. Bookings post system messages through their events.
//!
//! Layout (see [`model`]): a claim per guest and property makes the conversation unique (a
//! conditional put) and finds it again; each participant's entry is their inbox row (gsi1, by
//! last message time) and holds their unread counter; messages sit in the conversation's
//! partition by time. A message is one transaction: the message and both entries (last
//! message, inbox position, the recipients' counters as atomic adds).

pub mod consumer;
pub mod masking;
pub mod model;
pub mod rate_limit;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use self::model::{Inquiry, Member, Message, MessageKind, Parties};
use crate::App;
use crate::auth::Principal;
use crate::bookings::BookingStatus;
use crate::clock::Clock;
use crate::error::{ApiError, Problems};
use crate::events::{Event, EventType, Queue};
use crate::outbox;
use crate::properties::{self, calendar::parse_date};
use crate::store::keys::{self, kind};
use crate::store::{
    Condition, Index, Item, Key, MAX_BATCH_GET_KEYS, Query, SortKeyRange, StoreError, TxAction, Update,
};

/// Longest message body, in characters after trimming.
pub const MAX_BODY_CHARS: usize = 5000;
/// Attempts when concurrent writers collide.
const ATTEMPTS: u32 = 4;

pub(crate) const NOT_FOUND: ApiError = ApiError::NotFound("conversation not found");

/// Body of `POST /conversations`: the first message, and optionally the dates asked about.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StartInput {
    #[schema(required, nullable = false, min_length = 26, max_length = 26)]
    pub property_id: Option<String>,
    /// 1..5000 characters after trimming.
    #[schema(
        required,
        nullable = false,
        min_length = 1,
        max_length = 5000,
        pattern = r"[^\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub message: Option<String>,
    /// `YYYY-MM-DD`; with `checkOut`, an inquiry about those dates (nothing is held).
    #[schema(format = Date)]
    pub check_in: Option<String>,
    #[schema(format = Date)]
    pub check_out: Option<String>,
    /// 1..maxGuests, default 1; only with dates.
    #[schema(minimum = 1, maximum = 50)]
    pub guests: Option<i64>,
}

/// Body of `POST /conversations/{id}/messages`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// 1..5000 characters after trimming.
    #[schema(
        required,
        nullable = false,
        min_length = 1,
        max_length = 5000,
        pattern = r"[^\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub body: Option<String>,
}

/// What `POST /conversations` did: started a conversation (`201`) or added to the guest's
/// existing one (`200`).
#[derive(Debug, Clone)]
pub struct Started {
    pub created: bool,
    pub conversation: Member,
}

/// A message body, trimmed, or the problem named under `field`.
fn body(problems: &mut Problems, field: &str, raw: Option<String>) -> Option<String> {
    let Some(raw) = raw else {
        problems.add(field, "is required");
        return None;
    };
    let trimmed = raw.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_BODY_CHARS {
        problems.add(field, format!("must be 1..{MAX_BODY_CHARS} characters after trimming"));
        return None;
    }
    Some(trimmed.to_owned())
}

/// The inquiry of a start, if any dates were given: both dates, check-out after check-in,
/// guests 1..`max_guests` (default 1). Like a booking's stay, but nothing is held.
fn inquiry(problems: &mut Problems, input: &StartInput, max_guests: Option<u32>) -> Option<Inquiry> {
    if input.check_in.is_none() && input.check_out.is_none() && input.guests.is_none() {
        return None;
    }
    let mut date = |field: &str, raw: &Option<String>| match raw {
        Some(raw) => problems.check(field, parse_date(raw)),
        None => {
            problems.add(field, "is required with an inquiry's dates");
            None
        }
    };
    let check_in = date("checkIn", &input.check_in);
    let check_out = date("checkOut", &input.check_out);
    let guests = match input.guests {
        None => Some(1),
        Some(n) => match u32::try_from(n) {
            Ok(n) if n >= 1 && max_guests.is_none_or(|max| n <= max) => Some(n),
            _ => {
                problems.add(
                    "guests",
                    format!(
                        "must be 1..{}",
                        max_guests.map_or("maxGuests".to_owned(), |m| m.to_string())
                    ),
                );
                None
            }
        },
    };
    let (check_in, check_out) = (check_in?, check_out?);
    if check_out <= check_in {
        problems.add("checkOut", "must be after checkIn");
        return None;
    }
    Some(Inquiry {
        check_in,
        check_out,
        guests: guests?,
    })
}

/// A participant's entry of a conversation: `None` for an unknown conversation or someone
/// who does not take part in it (both are `404`).
pub async fn member(app: &App, conversation_id: &str, user_id: &str) -> Result<Option<(Member, u64)>, ApiError> {
    if ulid::Ulid::from_string(conversation_id).is_err() {
        return Ok(None);
    }
    match app
        .store
        .get(&keys::conversation_member(conversation_id, user_id))
        .await?
    {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// The caller's entry, or `404`.
async fn participant(app: &App, principal: &Principal, conversation_id: &str) -> Result<Member, ApiError> {
    member(app, conversation_id, &principal.user_id)
        .await?
        .map(|(member, _)| member)
        .ok_or(NOT_FOUND)
}

/// The conversation of `guest_id` about `property_id`, if there is one.
pub async fn find(app: &App, guest_id: &str, property_id: &str) -> Result<Option<Parties>, ApiError> {
    match app.store.get(&keys::conversation_of(guest_id, property_id)).await? {
        Some(item) => Ok(Some(item.record()?)),
        None => Ok(None),
    }
}

/// The actions creating a conversation between `parties`, with its first message if any:
/// the claim first (its failure means someone else created it meanwhile), then both entries.
fn creation(
    parties: &Parties,
    inquiry: Option<Inquiry>,
    first: Option<&Message>,
    now: DateTime<Utc>,
) -> Result<Vec<TxAction>, StoreError> {
    let mut actions = vec![TxAction::Put {
        item: Item::new(
            keys::conversation_of(&parties.guest_id, &parties.property_id),
            kind::CONVERSATION,
            parties,
        )?,
        condition: Condition::Absent,
    }];
    for user in parties.members() {
        let entry = Member {
            parties: parties.clone(),
            user_id: user.to_owned(),
            booking_ids: Vec::new(),
            inquiry,
            created_at: now,
            last_message: first.cloned(),
            unread_count: i64::from(first.is_some_and(|m| counts_for(m, user))),
            last_read_at: None,
        };
        actions.push(TxAction::Put {
            item: entry.to_item()?,
            condition: Condition::Absent,
        });
    }
    if let Some(first) = first {
        actions.push(TxAction::Put {
            item: first.to_item()?,
            condition: Condition::Absent,
        });
    }
    Ok(actions)
}

/// Whether `message` counts as unread for `user`: system messages, and the other side's.
fn counts_for(message: &Message, user: &str) -> bool {
    message.kind == MessageKind::System || message.sender_id != user
}

/// The actions delivering `message` to an existing conversation: the message (absent: a
/// system message's id is its event's, so a redelivered event fails here and posts nothing),
/// then each entry's last message, inbox position and unread counter (and the inquiry, when
/// a new one came with it).
fn delivery(parties: &Parties, message: &Message, inquiry: Option<Inquiry>) -> Result<Vec<TxAction>, ApiError> {
    let last = serde_json::to_value(message).map_err(ApiError::internal)?;
    let inquiry = inquiry
        .map(|inquiry| serde_json::to_value(inquiry).map_err(ApiError::internal))
        .transpose()?;
    let at = crate::time::sortable(message.created_at);
    let mut actions = vec![TxAction::Put {
        item: message.to_item()?,
        condition: Condition::Absent,
    }];
    for user in parties.members() {
        let mut update = Update::new()
            .set("lastMessage", last.clone())
            .gsi1(Some(keys::inbox_index(user, &at, &parties.conversation_id)));
        if counts_for(message, user) {
            update = update.add("unreadCount", 1);
        }
        if let Some(inquiry) = &inquiry {
            update = update.set("inquiry", inquiry.clone());
        }
        actions.push(TxAction::Update {
            key: keys::conversation_member(&parties.conversation_id, user),
            update,
            condition: Condition::Exists,
        });
    }
    Ok(actions)
}

/// The event that emails the other side of a person's message (none for system messages,
/// which come with their own booking emails).
fn mail_event(parties: &Parties, message: &Message) -> Option<Event> {
    if message.kind == MessageKind::System {
        return None;
    }
    let recipient = if message.sender_id == parties.guest_id {
        &parties.host_id
    } else {
        &parties.guest_id
    };
    let data = serde_json::json!({
        "conversationId": parties.conversation_id,
        "messageId": message.id,
        "senderId": message.sender_id,
        "recipientId": recipient,
        // As delivered (masked when contact details may not pass yet): the email quotes it.
        "body": message.body,
    });
    Some(Event::new(
        EventType::MessageSent,
        parties.conversation_id.clone(),
        message.created_at,
        data,
    ))
}

/// Adds the message's email event to `actions`; what to publish once they commit.
fn with_mail_event(
    clock: &dyn Clock,
    parties: &Parties,
    message: &Message,
    actions: &mut Vec<TxAction>,
) -> Result<Vec<(Queue, Event)>, ApiError> {
    let Some(event) = mail_event(parties, message) else {
        return Ok(Vec::new());
    };
    let recorded = vec![(Queue::Notifications, event)];
    actions.extend(outbox::record(clock, &recorded)?);
    Ok(recorded)
}

/// Writes a delivery; `false` when the message was already there (a redelivered event).
async fn deliver(app: &App, parties: &Parties, message: &Message, inquiry: Option<Inquiry>) -> Result<bool, ApiError> {
    let mut actions = delivery(parties, message, inquiry)?;
    let recorded = with_mail_event(app.clock.as_ref(), parties, message, &mut actions)?;
    // A collision is retried by the store; one it did not get past is `503`.
    match app.store.transact(actions).await {
        Ok(()) => {
            outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
            Ok(true)
        }
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Whether contact details may pass: the guest has a confirmed, checked-in or checked-out
/// booking in the conversation (read at send time, so a confirmation counts at once).
async fn contacts_allowed(app: &App, member: &Member) -> Result<bool, ApiError> {
    let newest: Vec<Key> = member
        .booking_ids
        .iter()
        .rev()
        .take(MAX_BATCH_GET_KEYS)
        .map(|id| keys::booking(id.as_str()))
        .collect();
    if newest.is_empty() {
        return Ok(false);
    }
    let stays = [
        BookingStatus::Confirmed,
        BookingStatus::CheckedIn,
        BookingStatus::CheckedOut,
    ];
    Ok(app.store.batch_get(&newest).await?.iter().any(|item| {
        item.attrs
            .get("status")
            .and_then(|s| s.as_str())
            .is_some_and(|s| stays.iter().any(|stay| stay.as_str() == s))
    }))
}

/// A text message from `sender`, masked unless contacts are allowed.
fn text_message(conversation_id: &str, sender: &str, body: String, allowed: bool, now: DateTime<Utc>) -> Message {
    Message {
        id: crate::ids::new_id(),
        conversation_id: conversation_id.to_owned(),
        sender_id: sender.to_owned(),
        kind: MessageKind::Text,
        body: if allowed { body } else { masking::mask(&body) },
        event: None,
        booking_id: None,
        created_at: now,
    }
}

/// `POST /conversations`: the guest's inquiry starts the conversation about a property, or
/// is added to the one they already have (`created: false`). Two concurrent first inquiries
/// make one conversation: the claim's conditional put lets one create it, and the other adds
/// its message to it.
pub async fn start(app: &App, principal: &Principal, input: StartInput) -> Result<Started, ApiError> {
    let mut problems = Problems::new();
    let property_id = problems.required("propertyId", input.property_id.clone());
    let text = body(&mut problems, "message", input.message.clone());
    let property = match &property_id {
        Some(id) => properties::find(app, id).await?.map(|(property, _)| property),
        None => None,
    };
    if property.is_none() && property_id.is_some() {
        problems.add("propertyId", "no such property");
    }
    let inquiry = inquiry(&mut problems, &input, property.as_ref().map(|p| p.max_guests));
    problems.finish()?;
    let (Some(property), Some(text)) = (property, text) else {
        return Err(ApiError::internal("validation passed without a property or message"));
    };
    if property.host_id == principal.user_id {
        return Err(ApiError::Forbidden(
            "hosts cannot start a conversation about their own property",
        ));
    }
    let now = app.clock.now();
    rate_limit::count(app.store.as_ref(), &principal.user_id, now).await?;
    for _ in 1..=ATTEMPTS {
        if let Some(parties) = find(app, &principal.user_id, &property.id).await? {
            let (member, _) = member(app, &parties.conversation_id, &principal.user_id)
                .await?
                .ok_or_else(|| ApiError::internal("a conversation without its guest's entry"))?;
            let allowed = contacts_allowed(app, &member).await?;
            let message = text_message(&parties.conversation_id, &principal.user_id, text.clone(), allowed, now);
            deliver(app, &parties, &message, inquiry).await?;
            let conversation = participant(app, principal, &parties.conversation_id).await?;
            return Ok(Started {
                created: false,
                conversation,
            });
        }
        let parties = Parties {
            conversation_id: crate::ids::new_id(),
            property_id: property.id.clone(),
            guest_id: principal.user_id.clone(),
            host_id: property.host_id.clone(),
        };
        let message = text_message(&parties.conversation_id, &principal.user_id, text.clone(), false, now);
        let mut actions = creation(&parties, inquiry, Some(&message), now)?;
        let recorded = with_mail_event(app.clock.as_ref(), &parties, &message, &mut actions)?;
        match app.store.transact(actions).await {
            Ok(()) => {
                outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
                tracing::info!(conversation_id = %parties.conversation_id, property_id = %property.id, "conversation started");
                let conversation = participant(app, principal, &parties.conversation_id).await?;
                return Ok(Started {
                    created: true,
                    conversation,
                });
            }
            // Created by a concurrent first inquiry: add to it on the next turn.
            Err(StoreError::TransactionConditionFailed { .. }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::unavailable("the conversation kept changing"))
}

/// The conversation of a guest and a property, created (without a message) when there is
/// none: where a booking goes, and where system messages of older bookings land.
pub async fn ensure(app: &App, property_id: &str, guest_id: &str, host_id: &str) -> Result<Parties, ApiError> {
    for _ in 1..=ATTEMPTS {
        if let Some(parties) = find(app, guest_id, property_id).await? {
            return Ok(parties);
        }
        let parties = Parties {
            conversation_id: crate::ids::new_id(),
            property_id: property_id.to_owned(),
            guest_id: guest_id.to_owned(),
            host_id: host_id.to_owned(),
        };
        match app
            .store
            .transact(creation(&parties, None, None, app.clock.now())?)
            .await
        {
            Ok(()) => return Ok(parties),
            Err(StoreError::TransactionConditionFailed { .. }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::unavailable("the conversation kept changing"))
}

/// The actions that put `booking_id` in the conversation (both entries' `bookingIds` sets;
/// a set of ULIDs reads back oldest first), for the booking's own transaction.
pub fn attach(parties: &Parties, booking_id: &str) -> Vec<TxAction> {
    parties
        .members()
        .into_iter()
        .map(|user| TxAction::Update {
            key: keys::conversation_member(&parties.conversation_id, user),
            update: Update::new().add_to_set("bookingIds", [booking_id]),
            condition: Condition::Exists,
        })
        .collect()
}

/// `GET /conversations`: the caller's conversations (as guest or host), most recent message
/// first: one query of the caller's inbox.
pub async fn list(
    app: &App,
    principal: &Principal,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<Member>, Option<String>), ApiError> {
    let scope = format!("conversations:{}", principal.user_id);
    let now = app.clock.now();
    let start = app.signing_keys().await?.cursors.resume(cursor, &scope, now)?;
    let page = app
        .store
        .query(
            Query::partition(Index::Gsi1, keys::inbox(&principal.user_id))
                .limit(limit)
                .start(start)
                .descending(),
        )
        .await?;
    let members = page
        .items
        .into_iter()
        .map(Item::into_record::<Member>)
        .collect::<Result<Vec<_>, _>>()?;
    let next = app.signing_keys().await?.cursors.next_page(&scope, page.next, now)?;
    Ok((members, next))
}

/// `GET /conversations/{id}`: the caller's view of a conversation they take part in.
pub async fn get(app: &App, principal: &Principal, conversation_id: &str) -> Result<Member, ApiError> {
    participant(app, principal, conversation_id).await
}

/// `GET /conversations/{id}/messages`: newest first, paged.
pub async fn messages(
    app: &App,
    principal: &Principal,
    conversation_id: &str,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<Message>, Option<String>), ApiError> {
    participant(app, principal, conversation_id).await?;
    let scope = format!("messages:{conversation_id}");
    let now = app.clock.now();
    let start = app.signing_keys().await?.cursors.resume(cursor, &scope, now)?;
    let page = app
        .store
        .query(
            Query::partition(Index::Table, keys::conversation(conversation_id))
                .range(SortKeyRange::Prefix(keys::MESSAGE_PREFIX.to_owned()))
                .limit(limit)
                .start(start)
                .descending(),
        )
        .await?;
    let messages = page
        .items
        .into_iter()
        .map(Item::into_record::<Message>)
        .collect::<Result<Vec<_>, _>>()?;
    let next = app.signing_keys().await?.cursors.next_page(&scope, page.next, now)?;
    Ok((messages, next))
}

/// `POST /conversations/{id}/messages`: a participant writes; masked until the guest has a
/// stay here; 30 per minute per user.
pub async fn send(
    app: &App,
    principal: &Principal,
    conversation_id: &str,
    input: MessageInput,
) -> Result<Message, ApiError> {
    let mut problems = Problems::new();
    let text = body(&mut problems, "body", input.body);
    let member = participant(app, principal, conversation_id).await?;
    problems.finish()?;
    let text = text.ok_or_else(|| ApiError::internal("validation passed without a body"))?;
    let now = app.clock.now();
    rate_limit::count(app.store.as_ref(), &principal.user_id, now).await?;
    let allowed = contacts_allowed(app, &member).await?;
    let message = text_message(conversation_id, &principal.user_id, text, allowed, now);
    deliver(app, &member.parties, &message, None).await?;
    Ok(message)
}

/// `POST /conversations/{id}/read`: every message so far counts as read by the caller (one
/// conditional write: a stranger's or an unknown conversation fails it, `404`).
pub async fn mark_read(app: &App, principal: &Principal, conversation_id: &str) -> Result<(), ApiError> {
    if ulid::Ulid::from_string(conversation_id).is_err() {
        return Err(NOT_FOUND);
    }
    let now = serde_json::to_value(app.clock.now()).map_err(ApiError::internal)?;
    let update = Update::new().set("unreadCount", 0).set("lastReadAt", now);
    match app
        .store
        .update(
            &keys::conversation_member(conversation_id, &principal.user_id),
            update,
            Condition::Exists,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(NOT_FOUND),
        Err(err) => Err(err.into()),
    }
}

/// Posts a system message to the conversation of `parties`; `false` when it was posted
/// before (the message id is the event's id).
pub async fn post_system(app: &App, parties: &Parties, message: &Message) -> Result<bool, ApiError> {
    deliver(app, parties, message, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_input(check_in: Option<&str>, check_out: Option<&str>, guests: Option<i64>) -> StartInput {
        StartInput {
            property_id: Some("P".into()),
            message: Some("hi".into()),
            check_in: check_in.map(str::to_owned),
            check_out: check_out.map(str::to_owned),
            guests,
        }
    }

    #[test]
    fn inquiries_have_the_shape_of_a_stay() {
        let fields = |input: StartInput| {
            let mut problems = Problems::new();
            let parsed = inquiry(&mut problems, &input, Some(4));
            match problems.finish() {
                Ok(()) => Ok(parsed),
                Err(ApiError::Validation(details)) => Err(details.into_iter().map(|d| d.field).collect::<Vec<_>>()),
                Err(other) => panic!("{other:?}"),
            }
        };
        assert_eq!(fields(start_input(None, None, None)), Ok(None));
        let ok = fields(start_input(Some("2027-01-02"), Some("2027-01-05"), None))
            .unwrap()
            .unwrap();
        assert_eq!(ok.guests, 1);
        assert_eq!(
            fields(start_input(Some("2027-01-05"), Some("2027-01-05"), Some(2))),
            Err(vec!["checkOut".to_owned()])
        );
        assert_eq!(
            fields(start_input(Some("2027-01-02"), None, Some(9))),
            Err(vec!["checkOut".to_owned(), "guests".to_owned()])
        );
        assert_eq!(
            fields(start_input(None, None, Some(2))),
            Err(vec!["checkIn".to_owned(), "checkOut".to_owned()])
        );
    }

    #[test]
    fn bodies_are_trimmed_and_bounded() {
        let mut problems = Problems::new();
        assert_eq!(
            body(&mut problems, "body", Some("  hi \n".into())).as_deref(),
            Some("hi")
        );
        assert!(body(&mut problems, "body", Some("   ".into())).is_none());
        assert!(body(&mut problems, "body", Some("x".repeat(MAX_BODY_CHARS + 1))).is_none());
        assert!(body(&mut problems, "body", Some(format!(" {} ", "é".repeat(MAX_BODY_CHARS)))).is_some());
        assert!(body(&mut problems, "body", None).is_none());
    }
}
