//! The emails of the `notifications` queue: one per event and recipient, if the recipient
//! wants that kind (security emails always go).
//!
//! Once per event: after a send, a `NOTIFIED#<event>#<recipient>` record is written, and an
//! event handled again (a redelivery, a batch retried) finds it and sends nothing. A failed
//! send records nothing and fails the event, which comes back (3 receives, then the DLQ). A
//! process that dies between the send and the record sends that email again when the event
//! comes back: at least once was chosen over at most once, so a crash never loses an email,
//! and the email carries its `(event, recipient)` reference so a sink that can keeps one copy
//! (the local mailbox does; SES cannot, so there such a crash repeats one email).

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::App;
use crate::bookings::lifecycle::{self, BookingChange};
use crate::bookings::model::{Booking, BookingStatus};
use crate::deadlines::{Deadline, DeadlineKind};
use crate::error::ApiError;
use crate::events::{Event, EventType};
use crate::mail::templates::{self, BookingSummary, CancelledBy, NewMessage, PublishedReview, Recipient};
use crate::mail::{Email, MailError, MailLinks, Mailer};
use crate::money::Money;
use crate::payments::model::Payout;
use crate::properties::{self, Property};
use crate::reviews::model::Side;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, StoreError, window_counter};
use crate::users::User;
use crate::users::email_token::{self, Purpose};
use crate::users::find_user;
use crate::users::preferences::Topic;

/// How long a sent record is kept: longer than any redelivery (3 receives, 14-day retention).
const SENT_RECORD_TTL: Duration = Duration::days(15);
/// Reset emails per address per hour.
pub const RESET_EMAILS_PER_HOUR: i64 = 3;
/// The quiet time between two new-message emails of one conversation to one recipient.
pub const MESSAGE_MAIL_PAUSE: Duration = Duration::minutes(15);

/// Why an event's email was not sent (the event is retried).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("event {event_id}: {message}")]
    Malformed { event_id: String, message: String },
    #[error("mail is not configured in this function")]
    NotConfigured,
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::consumer::Transient for NotifyError {
    fn is_transient(&self) -> bool {
        match self {
            NotifyError::Mail(err) => matches!(err, MailError::Unavailable(_)),
            NotifyError::Api(err) => err.is_transient(),
            NotifyError::Store(err) => err.is_transient(),
            NotifyError::Malformed { .. } | NotifyError::NotConfigured => false,
        }
    }
}

/// The mail service and links of the running function.
struct Outbound<'a> {
    mailer: &'a dyn Mailer,
    links: &'a MailLinks,
}

fn outbound(app: &App) -> Result<Outbound<'_>, NotifyError> {
    match (&app.mailer, &app.mail_links) {
        (Some(mailer), Some(links)) => Ok(Outbound {
            mailer: mailer.as_ref(),
            links,
        }),
        _ => Err(NotifyError::NotConfigured),
    }
}

fn malformed(event: &Event, err: impl std::fmt::Display) -> NotifyError {
    NotifyError::Malformed {
        event_id: event.id.clone(),
        message: err.to_string(),
    }
}

fn data<T: for<'de> Deserialize<'de>>(event: &Event) -> Result<T, NotifyError> {
    serde_json::from_value(event.data.clone()).map_err(|err| malformed(event, err))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRef {
    user_id: String,
}

#[derive(Deserialize)]
struct AddressRef {
    email: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewRef {
    review_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageRef {
    conversation_id: String,
    message_id: String,
    sender_id: String,
    recipient_id: String,
    body: String,
}

#[derive(Deserialize)]
struct FailureRef {
    #[serde(default)]
    reason: Option<String>,
}

/// Handles one event of the `notifications` queue.
pub async fn on_event(app: &App, event: Event) -> Result<(), NotifyError> {
    let out = outbound(app)?;
    match event.kind {
        EventType::UserRegistered | EventType::EmailVerificationRequested => {
            let UserRef { user_id } = data(&event)?;
            let Some(user) = find_user(app.store.as_ref(), &user_id).await? else {
                return Ok(());
            };
            if user.email_verified {
                return Ok(());
            }
            send_once(app, &out, &event, &user, Topic::Security, || async {
                let token =
                    email_token::issue(app.store.as_ref(), Purpose::VerifyEmail, &user.id, app.clock.now()).await?;
                Ok(Some(templates::verify_email(&Recipient::of(&user), &token, out.links)))
            })
            .await
        }
        EventType::PasswordResetRequested => {
            let AddressRef { email } = data(&event)?;
            let Some(claim) = app.store.get(&keys::email_claim(&email)).await? else {
                return Ok(());
            };
            let Some(user_id) = claim.attrs.get("userId").and_then(|v| v.as_str()) else {
                return Err(malformed(&event, "an email claim without its user"));
            };
            let Some(user) = find_user(app.store.as_ref(), user_id).await? else {
                return Ok(());
            };
            // Checked before and counted after a send: the requests of one address share a FIFO
            // group, so they are handled one at a time, and a failed send uses up nothing.
            let sent = send_and_tell(app, &out, &event, &user, Topic::Security, || async {
                if reset_emails_this_hour(app, &email).await? >= RESET_EMAILS_PER_HOUR {
                    tracing::info!(event_id = %event.id, "reset email over the hourly limit; not sent");
                    return Ok(None);
                }
                let token =
                    email_token::issue(app.store.as_ref(), Purpose::ResetPassword, &user.id, app.clock.now()).await?;
                Ok(Some(templates::password_reset(
                    &Recipient::of(&user),
                    &token,
                    out.links,
                )))
            })
            .await?;
            if sent {
                count_reset_email(app, &email, app.clock.now()).await?;
            }
            Ok(())
        }
        EventType::PasswordChanged => {
            let UserRef { user_id } = data(&event)?;
            let Some(user) = find_user(app.store.as_ref(), &user_id).await? else {
                return Ok(());
            };
            let at = event.occurred_at;
            send_once(app, &out, &event, &user, Topic::Security, || async {
                Ok(Some(templates::password_changed(&Recipient::of(&user), at, out.links)))
            })
            .await
        }
        EventType::BookingRequested
        | EventType::BookingConfirmed
        | EventType::BookingDeclined
        | EventType::BookingCancelled
        | EventType::BookingExpired
        | EventType::PaymentFailed
        | EventType::PayoutPaid => booking_email(app, &out, &event).await,
        EventType::DeadlineReached => {
            let deadline: Deadline = data(&event)?;
            if deadline.kind != DeadlineKind::CheckInReminder {
                tracing::warn!(kind = ?deadline.kind, "deadline for another queue ignored");
                return Ok(());
            }
            booking_email(app, &out, &event).await
        }
        EventType::ReviewPublished => review_email(app, &out, &event).await,
        EventType::MessageSent => message_email(app, &out, &event).await,
        other => {
            tracing::warn!(?other, event_id = %event.id, "event type not emailed; ignored");
            Ok(())
        }
    }
}

/// Builds the email of (event, recipient), sends it and records it; see the module's comment.
async fn send_once<F, Fut>(
    app: &App,
    out: &Outbound<'_>,
    event: &Event,
    to: &User,
    topic: Topic,
    build: F,
) -> Result<(), NotifyError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<Email>, NotifyError>>,
{
    send_and_tell(app, out, event, to, topic, build).await.map(|_| ())
}

/// [`send_once`], telling whether an email went out.
async fn send_and_tell<F, Fut>(
    app: &App,
    out: &Outbound<'_>,
    event: &Event,
    to: &User,
    topic: Topic,
    build: F,
) -> Result<bool, NotifyError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<Email>, NotifyError>>,
{
    if !to.notifications.wants(topic) {
        return Ok(false);
    }
    let key = keys::notified(&event.id, &to.id);
    if app.store.get(&key).await?.is_some() {
        return Ok(false);
    }
    let Some(mut email) = build().await? else {
        return Ok(false);
    };
    email.reference = Some(format!("{}#{}", event.id, to.id));
    out.mailer.send(&email).await?;
    tracing::info!(event_id = %event.id, kind = ?event.kind, user_id = %to.id, "email sent");
    crate::metrics::count(crate::metrics::Metric::EmailsSent, app.clock.now());
    let record = Item::new(key, kind::NOTIFIED, &serde_json::json!({ "eventId": event.id }))?
        .with_ttl((app.clock.now() + SENT_RECORD_TTL).timestamp());
    match app.store.put(record, Condition::Absent).await {
        Ok(()) | Err(StoreError::ConditionFailed) => {}
        // Sent, only not recorded: the event is handled. Failing it would send the email
        // again, and this record only saves a redelivery from doing that.
        Err(err) => tracing::warn!(event_id = %event.id, error = %err, "a sent email was not recorded"),
    }
    Ok(true)
}

/// Reset emails sent to `folded_email` in the current hour.
async fn reset_emails_this_hour(app: &App, folded_email: &str) -> Result<i64, NotifyError> {
    Ok(match app.store.get(&keys::reset_mail_count(folded_email)).await? {
        Some(item) => item.attrs.get("count").and_then(|v| v.as_i64()).unwrap_or(0),
        None => 0,
    })
}

/// Counts one reset email for `folded_email`, in an hour that starts with its first email.
async fn count_reset_email(app: &App, folded_email: &str, now: DateTime<Utc>) -> Result<(), NotifyError> {
    let key = keys::reset_mail_count(folded_email);
    let window = Duration::hours(1).num_seconds();
    match window_counter::count(app.store.as_ref(), &key, kind::RESET_MAIL_COUNT, window, now).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::internal("reset email counter kept changing").into()),
    }
}

/// The booking, its property and both sides.
struct Stay {
    booking: Booking,
    property: Property,
    guest: User,
    host: User,
}

async fn stay(app: &App, booking_id: &str) -> Result<Option<Stay>, NotifyError> {
    let Some((booking, _)) = lifecycle::load(app, booking_id).await? else {
        return Ok(None);
    };
    let Some((property, _)) = properties::find(app, &booking.property_id).await? else {
        return Ok(None);
    };
    let guest = find_user(app.store.as_ref(), &booking.guest_id).await?;
    let host = find_user(app.store.as_ref(), &booking.host_id).await?;
    let (Some(guest), Some(host)) = (guest, host) else {
        return Ok(None);
    };
    Ok(Some(Stay {
        booking,
        property,
        guest,
        host,
    }))
}

fn zero(total: Money) -> Money {
    Money::new(0, total.currency)
}

/// The emails of a booking's moments (requested, confirmed, declined, cancelled, expired,
/// payment failed, check-in reminder, payout paid).
async fn booking_email(app: &App, out: &Outbound<'_>, event: &Event) -> Result<(), NotifyError> {
    let Some(stay) = stay(app, &event.booking_id).await? else {
        tracing::warn!(event_id = %event.id, booking_id = %event.booking_id, "booking gone; no email");
        return Ok(());
    };
    let Stay {
        booking,
        property,
        guest,
        host,
    } = &stay;
    let summary = BookingSummary::of(booking, &property.title);
    let links = out.links;
    let topic = Topic::BookingUpdates;
    let total = booking.price.total;
    match event.kind {
        EventType::BookingRequested => {
            let respond_by = event.occurred_at + lifecycle::HOST_ANSWER_WINDOW;
            send_once(app, out, event, host, topic, || async {
                Ok(Some(templates::booking_requested(
                    &Recipient::of(host),
                    &summary,
                    &guest.first_name,
                    total,
                    respond_by,
                    links,
                )))
            })
            .await
        }
        EventType::BookingConfirmed => {
            send_once(app, out, event, guest, topic, || async {
                Ok(Some(templates::booking_confirmed_guest(
                    &Recipient::of(guest),
                    &summary,
                    &host.first_name,
                    total,
                    links,
                )))
            })
            .await?;
            send_once(app, out, event, host, topic, || async {
                Ok(Some(templates::booking_confirmed_host(
                    &Recipient::of(host),
                    &summary,
                    &guest.first_name,
                    total,
                    links,
                )))
            })
            .await
        }
        EventType::BookingDeclined | EventType::BookingCancelled | EventType::BookingExpired => {
            let change: BookingChange = data(event)?;
            let refund = change.refund;
            let by = if change.actor == booking.guest_id {
                CancelledBy::Guest
            } else {
                CancelledBy::Host
            };
            send_once(app, out, event, guest, topic, || async {
                let to = Recipient::of(guest);
                Ok(Some(match event.kind {
                    EventType::BookingDeclined => {
                        templates::booking_declined(&to, &summary, refund.unwrap_or_else(|| zero(total)), links)
                    }
                    EventType::BookingCancelled => {
                        templates::booking_cancelled(&to, &summary, by, refund.unwrap_or_else(|| zero(total)), links)
                    }
                    _ => templates::booking_expired(&to, &summary, refund.filter(|r| r.amount > 0), links),
                }))
            })
            .await
        }
        EventType::PaymentFailed => {
            let FailureRef { reason } = data(event)?;
            send_once(app, out, event, guest, topic, || async {
                Ok(Some(templates::payment_failed(
                    &Recipient::of(guest),
                    &summary,
                    reason.as_deref(),
                    links,
                )))
            })
            .await
        }
        EventType::DeadlineReached => {
            // Only a stay still to come is reminded of.
            if booking.status != BookingStatus::Confirmed {
                return Ok(());
            }
            let instructions = Some(property.check_in_instructions.as_str()).filter(|text| !text.trim().is_empty());
            send_once(app, out, event, guest, topic, || async {
                Ok(Some(templates::check_in_reminder(
                    &Recipient::of(guest),
                    &summary,
                    instructions,
                    links,
                )))
            })
            .await
        }
        EventType::PayoutPaid => {
            let Some(item) = app.store.get(&keys::payout(&booking.id)).await? else {
                return Ok(());
            };
            let payout: Payout = item.record()?;
            let amount = Money::new(payout.amount_minor, payout.currency);
            let paid_at = payout.paid_at.unwrap_or(event.occurred_at);
            send_once(app, out, event, host, topic, || async {
                Ok(Some(templates::payout_paid(
                    &Recipient::of(host),
                    &summary,
                    amount,
                    paid_at,
                    links,
                )))
            })
            .await
        }
        _ => Ok(()),
    }
}

/// A review published about its subject.
async fn review_email(app: &App, out: &Outbound<'_>, event: &Event) -> Result<(), NotifyError> {
    let ReviewRef { review_id } = data(event)?;
    let Some((review, _)) = crate::reviews::publish::load(app, &review_id).await? else {
        return Ok(());
    };
    let Some((property, _)) = properties::find(app, &review.property_id).await? else {
        return Ok(());
    };
    // A guest reviews the property, which its host hears of; a host reviews the guest.
    let reviewed = match review.side {
        Side::Guest => &property.host_id,
        Side::Host => &review.subject_id,
    };
    let Some(subject) = find_user(app.store.as_ref(), reviewed).await? else {
        return Ok(());
    };
    let title = property.title.clone();
    let author_first_name = review.author_name.split_whitespace().next().unwrap_or("").to_owned();
    let published = PublishedReview {
        author_side: review.side,
        author_first_name: &author_first_name,
        rating: review.rating,
        booking_id: &review.booking_id,
        property_id: &review.property_id,
        property_title: &title,
    };
    send_once(app, out, event, &subject, Topic::Reviews, || async {
        Ok(Some(templates::review_published(
            &Recipient::of(&subject),
            &published,
            out.links,
        )))
    })
    .await
}

/// A new message, at most one email per conversation and recipient per quiet time.
async fn message_email(app: &App, out: &Outbound<'_>, event: &Event) -> Result<(), NotifyError> {
    let reference: MessageRef = data(event)?;
    let Some(recipient) = find_user(app.store.as_ref(), &reference.recipient_id).await? else {
        return Ok(());
    };
    let Some(sender) = find_user(app.store.as_ref(), &reference.sender_id).await? else {
        return Ok(());
    };
    send_once(app, out, event, &recipient, Topic::Messages, || async {
        // The pause names this message, so this event handled again (its email not recorded
        // as sent) finds its own pause and sends, while other messages stay quiet.
        let pause = Item::new(
            keys::message_mail_throttle(&reference.conversation_id, &recipient.id),
            kind::MESSAGE_MAIL_THROTTLE,
            &serde_json::json!({ "messageId": reference.message_id }),
        )?
        .with_ttl((event.occurred_at + MESSAGE_MAIL_PAUSE).timestamp());
        match app.store.put(pause, Condition::Absent).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => {
                // Taken by this very message on an attempt whose send failed: send it now.
                let key = keys::message_mail_throttle(&reference.conversation_id, &recipient.id);
                let ours = app.store.get(&key).await?.is_some_and(|item| {
                    item.attrs.get("messageId").and_then(|v| v.as_str()) == Some(reference.message_id.as_str())
                });
                if !ours {
                    return Ok(None);
                }
            }
            Err(err) => return Err(err.into()),
        }
        let new = NewMessage {
            conversation_id: &reference.conversation_id,
            sender_first_name: &sender.first_name,
            body: &reference.body,
        };
        Ok(Some(templates::new_message(
            &Recipient::of(&recipient),
            &new,
            out.links,
        )))
    })
    .await
}
