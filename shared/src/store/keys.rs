//! Named key builders: the only place that knows how items are laid out in the table.
//! Handlers never format a key themselves.

use super::{IndexKey, Key};

/// Record kinds (the `type` attribute).
pub mod kind {
    pub const USER: &str = "user";
    pub const EMAIL_CLAIM: &str = "email_claim";
    pub const LOGIN_FAILURES: &str = "login_failures";
    pub const REFRESH_TOKEN: &str = "refresh_token";
    pub const TOKEN_FAMILY: &str = "token_family";
    pub const OUTBOX: &str = "outbox";
    pub const DEADLINE: &str = "deadline";
    pub const PROPERTY: &str = "property";
    pub const GEO_ENTRY: &str = "geo_entry";
    pub const MIGRATION: &str = "migration";
    pub const NIGHT: &str = "night";
    pub const SWEEP_WATERMARK: &str = "sweep_watermark";
    pub const BOOKING: &str = "booking";
    pub const IDEMPOTENCY: &str = "idempotency";
    pub const PAYMENT: &str = "payment";
    pub const PAID_CLAIM: &str = "paid_claim";
    pub const PAYOUT: &str = "payout";
    pub const STRIPE_EVENT: &str = "stripe_event";
    pub const REVIEW: &str = "review";
    pub const REVIEW_CLAIM: &str = "review_claim";
    pub const CONVERSATION: &str = "conversation";
    pub const CONVERSATION_MEMBER: &str = "conversation_member";
    pub const MESSAGE: &str = "message";
    pub const MESSAGE_RATE: &str = "message_rate";
    pub const EMAIL_TOKEN: &str = "email_token";
    pub const VERIFY_COOLDOWN: &str = "verify_cooldown";
    pub const RESET_MAIL_COUNT: &str = "reset_mail_count";
    pub const NOTIFIED: &str = "notified";
    pub const MESSAGE_MAIL_THROTTLE: &str = "message_mail_throttle";
    pub const PHOTO: &str = "photo";
    pub const SUSPENSION: &str = "suspension";
    pub const AUDIT_ENTRY: &str = "audit_entry";
}

/// A user's profile: `USER#<id>` / `USER`.
pub fn user(user_id: &str) -> Key {
    Key::new(format!("USER#{user_id}"), "USER")
}

/// The partition listing every suspended user (one small item each), which every sandbox
/// reads at most once a minute to refuse their access tokens: `SUSPENDED`.
pub const SUSPENDED_PARTITION: &str = "SUSPENDED";

/// A suspended user's entry in [`SUSPENDED_PARTITION`]: `SUSPENDED` / `USER#<id>`.
pub fn suspension(user_id: &str) -> Key {
    Key::new(SUSPENDED_PARTITION, format!("USER#{user_id}"))
}

/// The partition of the admin audit log, ordered by time: `AUDIT`. Admin actions are rare,
/// so one partition holds them all and pages by time with no merge.
pub const AUDIT_PARTITION: &str = "AUDIT";

/// One admin action in the audit log: `AUDIT` / `<sortable time>#<entry id>`.
pub fn audit_entry(sortable_at: &str, entry_id: &str) -> Key {
    Key::new(AUDIT_PARTITION, format!("{sortable_at}#{entry_id}"))
}

/// The claim that makes an email unique: `EMAIL#<folded email>` / `EMAIL`.
pub fn email_claim(folded_email: &str) -> Key {
    Key::new(format!("EMAIL#{folded_email}"), "EMAIL")
}

/// Failed-login counter of one email: `LOGINFAIL#<folded email>` / `LOGINFAIL`.
pub fn login_failures(folded_email: &str) -> Key {
    Key::new(format!("LOGINFAIL#{folded_email}"), "LOGINFAIL")
}

/// A refresh token, by the hex SHA-256 of its value: `REFRESH#<hash>` / `REFRESH`.
pub fn refresh_token(token_hash: &str) -> Key {
    Key::new(format!("REFRESH#{token_hash}"), "REFRESH")
}

/// A refresh-token family (every token descended from one login): `FAMILY#<id>` / `FAMILY`.
pub fn token_family(family_id: &str) -> Key {
    Key::new(format!("FAMILY#{family_id}"), "FAMILY")
}

/// An event recorded for publishing, in the day bucket of its time:
/// `OUTBOX#<day>` / `<occurredAt>#<event id>` (fixed-width RFC 3339, so the bucket sorts by
/// time).
pub fn outbox(day: &str, occurred_at_rfc3339: &str, event_id: &str) -> Key {
    Key::new(outbox_bucket(day), format!("{occurred_at_rfc3339}#{event_id}"))
}

/// The partition of the events recorded on `day` (`YYYY-MM-DD`, UTC).
pub fn outbox_bucket(day: &str) -> String {
    format!("OUTBOX#{day}")
}

/// A deadline filed at the time it comes due, in the day bucket of that time:
/// `DEADLINES#<day>` / `<at>#<event id>` (the outbox's layout; `shared::deadlines`).
pub fn deadline_entry(day: &str, at_rfc3339: &str, event_id: &str) -> Key {
    Key::new(deadline_day(day), format!("{at_rfc3339}#{event_id}"))
}

/// The partition of the deadlines coming due on `day` (`YYYY-MM-DD`, UTC).
pub fn deadline_day(day: &str) -> String {
    format!("DEADLINES#{day}")
}

/// How far the deadline sweep has published the filed deadlines: `SWEEP#DEADLINES` / `SWEEP`.
pub fn deadline_watermark() -> Key {
    Key::new("SWEEP#DEADLINES", "SWEEP")
}

/// How far the outbox relay has published: `SWEEP#OUTBOX` / `SWEEP`.
pub fn outbox_watermark() -> Key {
    Key::new("SWEEP#OUTBOX", "SWEEP")
}

/// A property: `PROPERTY#<id>` / `PROPERTY`.
pub fn property(property_id: &str) -> Key {
    Key::new(format!("PROPERTY#{property_id}"), "PROPERTY")
}

/// A listing photo, in its property's partition so one query lists them:
/// `PROPERTY#<id>` / `PHOTO#<photo id>`.
pub fn photo(property_id: &str, photo_id: &str) -> Key {
    Key::new(format!("PROPERTY#{property_id}"), format!("{PHOTO_PREFIX}{photo_id}"))
}

/// The sort-key prefix of a property's photos.
pub const PHOTO_PREFIX: &str = "PHOTO#";

/// The partition of a property (its item, photos, ...): `PROPERTY#<id>`.
pub fn property_partition(property_id: &str) -> String {
    format!("PROPERTY#{property_id}")
}

/// Where a listed property sits in gsi1: its folded city (in every country: `?city=Paris`
/// finds Paris FR and Paris US on one partition, already in the promised order), then
/// nightly price (12 digits, so lexical order is numeric order) and id. Ordering by price
/// before currency keeps search results in ascending price even where a city mixes
/// currencies.
pub fn city_index(folded_city: &str, nightly_amount: i64, property_id: &str) -> IndexKey {
    IndexKey::new(city(folded_city), price_position(nightly_amount, property_id))
}

/// The gsi1 partition of one city, whatever its country.
pub fn city(folded_city: &str) -> String {
    format!("CITY#{folded_city}")
}

/// The gsi1 partition prefix of the index before cities spanned countries
/// (`PLACE#<country>#<folded city>`): what the search-index backfill rewrites.
pub const LEGACY_PLACE_PREFIX: &str = "PLACE#";

/// The sort key that orders a property in every search index: nightly price, then id.
pub fn price_position(nightly_amount: i64, property_id: &str) -> String {
    format!("PRICE#{nightly_amount:012}#{property_id}")
}

/// A property's entry in one geohash cell of the map index: `GEO#<cell>` /
/// `PRICE#<amount>#<id>`. The cell's length is its level, so every level has its own
/// partitions, and one query of a partition walks its properties in the promised order.
pub fn geo_entry(cell: &str, nightly_amount: i64, property_id: &str) -> Key {
    Key::new(geo_cell(cell), price_position(nightly_amount, property_id))
}

/// The table partition of one geohash cell of the map index.
pub fn geo_cell(cell: &str) -> String {
    format!("GEO#{cell}")
}

/// The record of a one-off data migration that has run: `MIGRATION#<name>` / `MIGRATION`.
pub fn migration(name: &str) -> Key {
    Key::new(format!("MIGRATION#{name}"), "MIGRATION")
}

/// The gsi1 sort key bound of a nightly price: `PRICE#<amount>` (ids follow after `#`).
pub fn price_bound(nightly_amount: i64) -> String {
    format!("PRICE#{nightly_amount:012}")
}

/// Where a property sits in its host's list (gsi2): newest last.
pub fn host_property_index(host_id: &str, created_at: &str, property_id: &str) -> IndexKey {
    IndexKey::new(host_properties(host_id), format!("PROPERTY#{created_at}#{property_id}"))
}

/// The gsi2 partition of one host's properties.
pub fn host_properties(host_id: &str) -> String {
    format!("HOST#{host_id}")
}

/// One night of a property's calendar that is held, booked or blocked: `PROPERTY#<id>` /
/// `NIGHT#<YYYY-MM-DD>` (the property's own calendar date).
pub fn night(property_id: &str, date: &str) -> Key {
    Key::new(format!("PROPERTY#{property_id}"), format!("NIGHT#{date}"))
}

/// The sort-key prefix of a property's nights.
pub const NIGHT_PREFIX: &str = "NIGHT#";

/// A deadline of `kind` for `subject_id` (one per pair) as written before 2026-12-06, still
/// swept: `DUE#<kind>#<subject>` / `DUE`.
pub fn deadline(kind: &str, subject_id: &str) -> Key {
    Key::new(format!("DUE#{kind}#{subject_id}"), "DUE")
}

/// The gsi2 partition of deadlines due within one UTC hour (`2026-11-24T15`).
pub fn deadline_bucket(hour: &str) -> String {
    format!("DUE#{hour}")
}

/// Where a deadline sits in gsi2: its hour bucket, then due time (fixed-width RFC 3339, so
/// lexical order is time order), kind and subject.
pub fn deadline_index(hour: &str, due_at: &str, kind: &str, subject_id: &str) -> IndexKey {
    IndexKey::new(deadline_bucket(hour), format!("{due_at}#{kind}#{subject_id}"))
}

/// The hour bucket up to which the sweep of deadlines in the form written before 2026-12-06
/// (one item a deadline, in gsi2) has finished: `SWEEP` / `SWEEP`.
pub fn sweep_watermark() -> Key {
    Key::new("SWEEP", "SWEEP")
}

/// A booking: `BOOKING#<id>` / `BOOKING`.
pub fn booking(booking_id: &str) -> Key {
    Key::new(format!("BOOKING#{booking_id}"), "BOOKING")
}

/// Where a booking sits in its guest's list (gsi1): by check-in date, then id.
pub fn guest_booking_index(guest_id: &str, check_in: &str, booking_id: &str) -> IndexKey {
    IndexKey::new(guest_bookings(guest_id), format!("CHECKIN#{check_in}#{booking_id}"))
}

/// The gsi1 partition of one guest's bookings.
pub fn guest_bookings(guest_id: &str) -> String {
    format!("GUEST#{guest_id}")
}

/// Where a booking sits in its host's list (gsi2): by check-in date, then id.
pub fn host_booking_index(host_id: &str, check_in: &str, booking_id: &str) -> IndexKey {
    IndexKey::new(host_bookings(host_id), format!("CHECKIN#{check_in}#{booking_id}"))
}

/// The gsi2 partition of the bookings of one host's properties.
pub fn host_bookings(host_id: &str) -> String {
    format!("HOSTBOOKINGS#{host_id}")
}

/// The sort-key bound of a check-in date in the booking lists: every booking checking in on
/// `date` sorts after it (`CHECKIN#<date>#<id>`), every earlier one before it.
pub fn check_in_bound(date: &str) -> String {
    format!("CHECKIN#{date}")
}

/// A payment of a booking: `BOOKING#<bookingId>` / `PAYMENT#<paymentId>`.
pub fn payment(booking_id: &str, payment_id: &str) -> Key {
    Key::new(format!("BOOKING#{booking_id}"), format!("{PAYMENT_PREFIX}{payment_id}"))
}

/// The sort-key prefix of a booking's payments.
pub const PAYMENT_PREFIX: &str = "PAYMENT#";

/// Where a payment sits in gsi1: by its provider reference, so a webhook finds it.
pub fn payment_reference_index(reference: &str) -> IndexKey {
    IndexKey::new(payment_reference(reference), "PAYMENT")
}

/// The gsi1 partition of a provider reference (`PAYREF#pi_...`).
pub fn payment_reference(reference: &str) -> String {
    format!("PAYREF#{reference}")
}

/// The claim that makes a booking paid once: `BOOKING#<id>` / `PAID`.
pub fn paid_claim(booking_id: &str) -> Key {
    Key::new(format!("BOOKING#{booking_id}"), "PAID")
}

/// The host's payout of a booking: `BOOKING#<id>` / `PAYOUT`.
pub fn payout(booking_id: &str) -> Key {
    Key::new(format!("BOOKING#{booking_id}"), "PAYOUT")
}

/// A Stripe webhook event already handled: `STRIPEEVT#<event id>` / `STRIPEEVT`.
pub fn stripe_event(event_id: &str) -> Key {
    Key::new(format!("STRIPEEVT#{event_id}"), "STRIPEEVT")
}

/// A review: `REVIEW#<id>` / `REVIEW`.
pub fn review(review_id: &str) -> Key {
    Key::new(format!("REVIEW#{review_id}"), "REVIEW")
}

/// The claim that lets each side review a booking once: `BOOKING#<id>` / `REVIEW#guest` or
/// `REVIEW#host`.
pub fn review_claim(booking_id: &str, side: &str) -> Key {
    Key::new(format!("BOOKING#{booking_id}"), format!("REVIEW#{side}"))
}

/// Where a published guest review sits in gsi1: its property's reviews, by publication.
pub fn property_review_index(property_id: &str, published_at: &str, review_id: &str) -> IndexKey {
    IndexKey::new(property_reviews(property_id), format!("{published_at}#{review_id}"))
}

/// The gsi1 partition of a property's published reviews.
pub fn property_reviews(property_id: &str) -> String {
    format!("PROPREVIEWS#{property_id}")
}

/// Where a published host review sits in gsi2: the reviews of its guest, by publication.
pub fn user_review_index(guest_id: &str, published_at: &str, review_id: &str) -> IndexKey {
    IndexKey::new(user_reviews(guest_id), format!("{published_at}#{review_id}"))
}

/// The gsi2 partition of the published reviews of a user as a guest.
pub fn user_reviews(guest_id: &str) -> String {
    format!("USERREVIEWS#{guest_id}")
}

/// The stored answer to a request with an `Idempotency-Key`, scoped to the user and the
/// route: `IDEMP#<userId>#<route>#<key>` / `IDEMP`.
pub fn idempotency(user_id: &str, route: &str, key: &str) -> Key {
    Key::new(format!("IDEMP#{user_id}#{route}#{key}"), "IDEMP")
}

/// The record that makes a conversation one per guest and property (a conditional put) and
/// finds it again: `CONVOF#<guestId>#<propertyId>` / `CONVOF`.
pub fn conversation_of(guest_id: &str, property_id: &str) -> Key {
    Key::new(format!("CONVOF#{guest_id}#{property_id}"), "CONVOF")
}

/// The partition of one conversation: its members' entries and its messages.
pub fn conversation(conversation_id: &str) -> String {
    format!("CONV#{conversation_id}")
}

/// A participant's entry of a conversation (the inbox row, read marker and unread counter):
/// `CONV#<id>` / `MEMBER#<userId>`. Reading it is also the check that the caller takes part.
pub fn conversation_member(conversation_id: &str, user_id: &str) -> Key {
    Key::new(conversation(conversation_id), format!("MEMBER#{user_id}"))
}

/// One message: `CONV#<id>` / `MSG#<sortable createdAt>#<messageId>`, so a descending query
/// of the prefix pages the conversation newest first.
pub fn message(conversation_id: &str, created_at: &str, message_id: &str) -> Key {
    Key::new(
        conversation(conversation_id),
        format!("{MESSAGE_PREFIX}{created_at}#{message_id}"),
    )
}

/// The sort-key prefix of a conversation's messages.
pub const MESSAGE_PREFIX: &str = "MSG#";

/// Where a member's entry sits in gsi1: the member's inbox, by the time of the last message
/// (sortable, then the conversation id so that ties are ordered).
pub fn inbox_index(user_id: &str, last_at: &str, conversation_id: &str) -> IndexKey {
    IndexKey::new(inbox(user_id), format!("{last_at}#{conversation_id}"))
}

/// The gsi1 partition of one user's inbox.
pub fn inbox(user_id: &str) -> String {
    format!("INBOX#{user_id}")
}

/// The per-user message counter of the current rate-limit window (a TTL item):
/// `MSGRATE#<userId>` / `MSGRATE`.
pub fn message_rate(user_id: &str) -> Key {
    Key::new(format!("MSGRATE#{user_id}"), "MSGRATE")
}

/// A verification or reset token, by the hex SHA-256 of its value (a TTL item):
/// `EMAILTOKEN#<hash>` / `EMAILTOKEN`.
pub fn email_token(token_hash: &str) -> Key {
    Key::new(format!("EMAILTOKEN#{token_hash}"), "EMAILTOKEN")
}

/// The 60-second pause between two verification emails of a user (a TTL item):
/// `VERIFYWAIT#<userId>` / `VERIFYWAIT`.
pub fn verify_cooldown(user_id: &str) -> Key {
    Key::new(format!("VERIFYWAIT#{user_id}"), "VERIFYWAIT")
}

/// Reset emails sent to one address in the current hour (a TTL item):
/// `RESETMAIL#<folded email>` / `RESETMAIL`.
pub fn reset_mail_count(folded_email: &str) -> Key {
    Key::new(format!("RESETMAIL#{folded_email}"), "RESETMAIL")
}

/// The claim that one event's email to one recipient was sent (a TTL item), which makes a
/// redelivered event send nothing twice: `NOTIFIED#<eventId>#<recipient>` / `NOTIFIED`.
pub fn notified(event_id: &str, recipient: &str) -> Key {
    Key::new(format!("NOTIFIED#{event_id}#{recipient}"), "NOTIFIED")
}

/// The 15-minute pause between two new-message emails of one conversation to one recipient
/// (a TTL item): `MSGMAIL#<conversationId>#<userId>` / `MSGMAIL`.
pub fn message_mail_throttle(conversation_id: &str, user_id: &str) -> Key {
    Key::new(format!("MSGMAIL#{conversation_id}#{user_id}"), "MSGMAIL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_design() {
        assert_eq!(user("01H").pk, "USER#01H");
        assert_eq!(email_claim("a@b.c"), Key::new("EMAIL#a@b.c", "EMAIL"));
        assert_eq!(refresh_token("ab").pk, "REFRESH#ab");
        let event = outbox("2026-01-01", "2026-01-01T00:00:00.000Z", "E1");
        assert_eq!(event, Key::new("OUTBOX#2026-01-01", "2026-01-01T00:00:00.000Z#E1"));
    }

    #[test]
    fn conversation_keys_share_a_partition_and_messages_sort_by_time() {
        assert_eq!(conversation_of("G", "P"), Key::new("CONVOF#G#P", "CONVOF"));
        assert_eq!(conversation_member("C", "U").pk, message("C", "t", "M").pk);
        assert!(message("C", "2026-01-01T00:00:00.000Z", "Z").sk < message("C", "2026-01-01T00:00:00.001Z", "A").sk);
        assert!(message("C", "t", "M").sk.starts_with(MESSAGE_PREFIX));
        assert!(!conversation_member("C", "U").sk.starts_with(MESSAGE_PREFIX));
        assert_eq!(inbox_index("U", "t", "C"), IndexKey::new("INBOX#U", "t#C"));
    }
}
