//! The messages routes of the OpenAPI document.

#![allow(dead_code)]

use super::ErrorResponse;
use crate::messages::model::{ConversationView, Message};
use crate::messages::{MessageInput, StartInput};

/// `{"items": [conversation...], "nextCursor": "..." | null}`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct ConversationPage {
    items: Vec<ConversationView>,
    next_cursor: Option<String>,
}

/// `{"items": [message...], "nextCursor": "..." | null}`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct MessagePage {
    items: Vec<Message>,
    next_cursor: Option<String>,
}

#[utoipa::path(post, path = "/conversations", tag = "messages", request_body = StartInput,
    security(("bearer" = [])),
    description = "The guest's inquiry about a property: starts the one conversation of this guest and property, or \
adds the message to it when it exists (`200`). Optional `checkIn`/`checkOut` (both, check-out after check-in) and \
`guests` (1..maxGuests, default 1) record the dates asked about; nothing is held. Until the guest has a confirmed, \
checked-in or checked-out booking here, emails, phone numbers and URLs in the message are stored as `[hidden]`. \
Counts against the 30 messages per minute of the sender.",
    responses(
        (status = 201, description = "A new conversation, with the message as `lastMessage`", body = ConversationView),
        (status = 200, description = "The existing conversation, with the message added", body = ConversationView),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "The caller hosts this property", body = ErrorResponse),
        (status = 422, description = "propertyId missing or unknown, message empty or over 5000 characters, inquiry dates missing, malformed or not in order, guests out of range: all named", body = ErrorResponse),
        (status = 429, description = "Over 30 messages in a minute; `Retry-After` says when to try again", body = ErrorResponse),
    ))]
fn start_conversation() {}

#[utoipa::path(get, path = "/conversations", tag = "messages", security(("bearer" = [])),
    description = "The caller's conversations, as guest or host, most recent message first (a conversation without \
messages by its creation).",
    params(
        ("limit" = Option<i64>, Query, description = "1..100, default 20"),
        ("cursor" = Option<String>, Query, description = "nextCursor of the previous page"),
    ),
    responses(
        (status = 200, description = "One page", body = ConversationPage),
        (status = 400, description = "A malformed limit or cursor", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
    ))]
fn list_conversations() {}

#[utoipa::path(get, path = "/conversations/{id}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation, with the caller's `unreadCount`", body = ConversationView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such conversation, or the caller takes no part in it", body = ErrorResponse),
    ))]
fn get_conversation() {}

#[utoipa::path(get, path = "/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    description = "The conversation's messages, newest first: text from either side and system messages of its \
bookings (`kind: system`, with `event` and `bookingId`).",
    params(
        ("id" = String, Path, description = "Conversation id"),
        ("limit" = Option<i64>, Query, description = "1..100, default 20"),
        ("cursor" = Option<String>, Query, description = "nextCursor of the previous page"),
    ),
    responses(
        (status = 200, description = "One page", body = MessagePage),
        (status = 400, description = "A malformed limit or cursor", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such conversation, or the caller takes no part in it", body = ErrorResponse),
    ))]
fn list_messages() {}

#[utoipa::path(post, path = "/conversations/{id}/messages", tag = "messages", request_body = MessageInput,
    security(("bearer" = [])),
    description = "A participant writes. Contact details are stored as `[hidden]` until the guest has a confirmed, \
checked-in or checked-out booking in the conversation; messages are never edited.",
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 201, description = "The message as stored", body = Message),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such conversation, or the caller takes no part in it", body = ErrorResponse),
        (status = 422, description = "body missing, empty or over 5000 characters after trimming", body = ErrorResponse),
        (status = 429, description = "Over 30 messages in a minute; `Retry-After` says when to try again", body = ErrorResponse),
    ))]
fn send_message() {}

#[utoipa::path(post, path = "/conversations/{id}/read", tag = "messages", security(("bearer" = [])),
    description = "Every message so far counts as read by the caller: their `unreadCount` goes back to 0.",
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Marked read"),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 404, description = "No such conversation, or the caller takes no part in it", body = ErrorResponse),
    ))]
fn mark_conversation_read() {}
