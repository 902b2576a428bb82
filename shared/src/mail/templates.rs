//! The emails Roost sends, one function per kind, each rendered from a plain-text and an HTML
//! template under `shared/templates/mail/` (compiled in by askama).
//!
//! The HTML templates escape every value (a first name of `<script>` shows as text); the
//! plain-text ones write values as they are. Values are formatted here (money in its minor
//! unit, dates and times in the property's zone) so the templates only place them. Every email
//! but the security ones (verification, reset, password changed) ends with a link to the
//! notification settings.

use std::ops::Deref;

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};

use super::format;
use super::{Email, MailLinks};
use crate::bookings::model::Booking;
use crate::money::Money;
use crate::reviews::model::Side;
use crate::users::User;

/// How long a verification link is valid, as the email says (API.md: 24 h).
const VERIFY_HOURS: u32 = 24;
/// How long a reset link is valid, as the email says (API.md: 1 h).
const RESET_HOURS: u32 = 1;
/// The longest message excerpt a new-message email quotes, in characters.
const EXCERPT_CHARS: usize = 140;

/// Who an email goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
}

impl<'a> Recipient<'a> {
    /// The user's address and first name.
    pub fn of(user: &'a User) -> Self {
        Self {
            email: &user.email,
            first_name: &user.first_name,
        }
    }
}

/// The booking an email is about, as the property's terms fixed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingSummary<'a> {
    pub booking_id: &'a str,
    pub property_id: &'a str,
    pub property_title: &'a str,
    /// Dates on the property's calendar.
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub guests: u32,
    /// The property's IANA zone: deadlines and other instants are shown on its clock.
    pub time_zone: &'a str,
    /// `HH:MM`, the property's local time.
    pub check_in_time: &'a str,
    pub check_out_time: &'a str,
}

impl<'a> BookingSummary<'a> {
    /// The summary of `booking` at the property titled `property_title`.
    pub fn of(booking: &'a Booking, property_title: &'a str) -> Self {
        Self {
            booking_id: &booking.id,
            property_id: &booking.property_id,
            property_title,
            check_in: booking.check_in,
            check_out: booking.check_out,
            guests: booking.guests,
            time_zone: &booking.terms.time_zone,
            check_in_time: &booking.terms.check_in_time,
            check_out_time: &booking.terms.check_out_time,
        }
    }
}

/// Who cancelled a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    Guest,
    Host,
}

/// A review that was just published, as the reviewed side hears of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishedReview<'a> {
    /// The side of the author: a guest reviews the property (its host is told), a host
    /// reviews the guest (the guest is told).
    pub author_side: Side,
    pub author_first_name: &'a str,
    /// 1..5.
    pub rating: u8,
    pub booking_id: &'a str,
    pub property_id: &'a str,
    pub property_title: &'a str,
}

/// A message in a conversation, as its recipient hears of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMessage<'a> {
    pub conversation_id: &'a str,
    pub sender_first_name: &'a str,
    /// The whole body: the email quotes a short excerpt of it.
    pub body: &'a str,
}

/// A template pair's data: what both parts of one kind of email show.
trait Parts {
    fn text(&self) -> String;
    fn html(&self) -> String;
}

/// Declares the data of one kind of email (with the fields every layout reads: `subject`,
/// `first_name`, `settings_url`) and its two templates, which read the data's fields directly.
macro_rules! email_kind {
    ($(#[$doc:meta])* $view:ident { $($field:ident : $ty:ty),* $(,)? } text = $text:literal, html = $html:literal) => {
        $(#[$doc])*
        struct $view {
            subject: String,
            first_name: String,
            /// The notification settings link of the footer; `None` for security emails.
            settings_url: Option<String>,
            $($field: $ty,)*
        }

        const _: () = {
            #[derive(Template)]
            #[template(path = $text)]
            struct Text<'a> {
                view: &'a $view,
            }

            #[derive(Template)]
            #[template(path = $html)]
            struct Html<'a> {
                view: &'a $view,
            }

            impl Deref for Text<'_> {
                type Target = $view;
                fn deref(&self) -> &$view {
                    self.view
                }
            }

            impl Deref for Html<'_> {
                type Target = $view;
                fn deref(&self) -> &$view {
                    self.view
                }
            }

            impl Parts for $view {
                // `to_string`, as `format!` does: writing into a String cannot fail, and every
                // value the templates show is a string or a number.
                fn text(&self) -> String {
                    Text { view: self }.to_string()
                }
                fn html(&self) -> String {
                    Html { view: self }.to_string()
                }
            }
        };
    };
}

email_kind! {
    VerifyEmail { link: String, hours: u32 }
    text = "mail/verify_email.txt", html = "mail/verify_email.html"
}

email_kind! {
    PasswordReset { link: String, hours: u32 }
    text = "mail/password_reset.txt", html = "mail/password_reset.html"
}

email_kind! {
    PasswordChanged { changed_at: String, home_url: String }
    text = "mail/password_changed.txt", html = "mail/password_changed.html"
}

email_kind! {
    BookingRequested { stay: StayView, guest_first_name: String, total: String, respond_by: String }
    text = "mail/booking_requested.txt", html = "mail/booking_requested.html"
}

email_kind! {
    BookingConfirmedGuest { stay: StayView, host_first_name: String, total: String }
    text = "mail/booking_confirmed_guest.txt", html = "mail/booking_confirmed_guest.html"
}

email_kind! {
    BookingConfirmedHost { stay: StayView, guest_first_name: String, total: String }
    text = "mail/booking_confirmed_host.txt", html = "mail/booking_confirmed_host.html"
}

email_kind! {
    BookingDeclined { stay: StayView, refund: String }
    text = "mail/booking_declined.txt", html = "mail/booking_declined.html"
}

email_kind! {
    BookingCancelled { stay: StayView, by_host: bool, refund: Option<String> }
    text = "mail/booking_cancelled.txt", html = "mail/booking_cancelled.html"
}

email_kind! {
    BookingExpired { stay: StayView, refund: Option<String> }
    text = "mail/booking_expired.txt", html = "mail/booking_expired.html"
}

email_kind! {
    PaymentFailed { stay: StayView, reason: Option<String> }
    text = "mail/payment_failed.txt", html = "mail/payment_failed.html"
}

email_kind! {
    CheckInReminder { stay: StayView, instructions: Option<String> }
    text = "mail/check_in_reminder.txt", html = "mail/check_in_reminder.html"
}

email_kind! {
    PayoutPaid { stay: StayView, amount: String, paid_at: String }
    text = "mail/payout_paid.txt", html = "mail/payout_paid.html"
}

email_kind! {
    ReviewPublished {
        author_first_name: String,
        rating: u8,
        about_property: bool,
        property_title: String,
        review_url: String,
    }
    text = "mail/review_published.txt", html = "mail/review_published.html"
}

email_kind! {
    NewMessageMail { sender_first_name: String, excerpt: String, conversation_url: String }
    text = "mail/new_message.txt", html = "mail/new_message.html"
}

/// A booking as the templates show it: formatted, with its links.
struct StayView {
    property_title: String,
    check_in: String,
    check_out: String,
    check_in_time: String,
    check_out_time: String,
    nights: i64,
    guests: u32,
    booking_url: String,
    property_url: String,
}

impl StayView {
    fn of(booking: &BookingSummary<'_>, links: &MailLinks) -> Self {
        Self {
            property_title: booking.property_title.to_owned(),
            check_in: format::date(booking.check_in),
            check_out: format::date(booking.check_out),
            check_in_time: booking.check_in_time.to_owned(),
            check_out_time: booking.check_out_time.to_owned(),
            nights: (booking.check_out - booking.check_in).num_days(),
            guests: booking.guests,
            booking_url: links.booking(booking.booking_id),
            property_url: links.property(booking.property_id),
        }
    }

    /// The booking's links, then the property's.
    fn links(&self) -> Vec<String> {
        vec![self.booking_url.clone(), self.property_url.clone()]
    }
}

/// Renders both parts of `view` into the email to `to`.
fn finish(to: &Recipient<'_>, view: &impl Parts, subject: String, links: Vec<String>) -> Email {
    Email {
        to: to.email.to_owned(),
        subject,
        text: view.text(),
        html: view.html(),
        links,
        reference: None,
    }
}

/// `links` of a notification, with the footer's settings link last.
fn with_settings(mut links: Vec<String>, settings_url: &str) -> Vec<String> {
    links.push(settings_url.to_owned());
    links
}

/// A subject naming a user-written value (a title, a name), kept on one line.
fn subject(text: String) -> String {
    format::one_line(&text)
}

/// The email with the verification link `<base>/verify-email?token=<token>` (valid 24 h).
pub fn verify_email(to: &Recipient<'_>, token: &str, links: &MailLinks) -> Email {
    let view = VerifyEmail {
        subject: "Confirm your email address".to_owned(),
        first_name: to.first_name.to_owned(),
        settings_url: None,
        link: links.verify_email(token),
        hours: VERIFY_HOURS,
    };
    finish(to, &view, view.subject.clone(), vec![view.link.clone()])
}

/// The email with the reset link `<base>/reset-password?token=<token>` (valid 1 h).
pub fn password_reset(to: &Recipient<'_>, token: &str, links: &MailLinks) -> Email {
    let view = PasswordReset {
        subject: "Reset your Roost password".to_owned(),
        first_name: to.first_name.to_owned(),
        settings_url: None,
        link: links.reset_password(token),
        hours: RESET_HOURS,
    };
    finish(to, &view, view.subject.clone(), vec![view.link.clone()])
}

/// "Your password was changed" (after a reset or a change), at `changed_at` (shown in UTC).
pub fn password_changed(to: &Recipient<'_>, changed_at: DateTime<Utc>, links: &MailLinks) -> Email {
    let view = PasswordChanged {
        subject: "Your Roost password was changed".to_owned(),
        first_name: to.first_name.to_owned(),
        settings_url: None,
        changed_at: format::utc_time(changed_at),
        home_url: links.home(),
    };
    finish(to, &view, view.subject.clone(), vec![view.home_url.clone()])
}

/// To the host: `guest_first_name` asks to book; accept or decline by `respond_by` (shown on
/// the property's clock).
pub fn booking_requested(
    host: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    guest_first_name: &str,
    total: Money,
    respond_by: DateTime<Utc>,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = BookingRequested {
        subject: subject(format!("New booking request for {}", booking.property_title)),
        first_name: host.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        guest_first_name: guest_first_name.to_owned(),
        total: format::money(total),
        respond_by: format::local_time(respond_by, booking.time_zone),
    };
    finish(
        host,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the guest: the booking is confirmed (`total` is what they paid).
pub fn booking_confirmed_guest(
    guest: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    host_first_name: &str,
    total: Money,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = BookingConfirmedGuest {
        subject: subject(format!("Your booking at {} is confirmed", booking.property_title)),
        first_name: guest.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        host_first_name: host_first_name.to_owned(),
        total: format::money(total),
    };
    finish(
        guest,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the host: the booking is confirmed (`total` is what the guest paid).
pub fn booking_confirmed_host(
    host: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    guest_first_name: &str,
    total: Money,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = BookingConfirmedHost {
        subject: subject(format!(
            "Booking confirmed: {}, {} to {}",
            booking.property_title,
            format::date(booking.check_in),
            format::date(booking.check_out)
        )),
        first_name: host.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        guest_first_name: guest_first_name.to_owned(),
        total: format::money(total),
    };
    finish(
        host,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the guest: the host declined; `refund` is what they get back.
pub fn booking_declined(
    guest: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    refund: Money,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = BookingDeclined {
        subject: subject(format!(
            "Your booking request for {} was declined",
            booking.property_title
        )),
        first_name: guest.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        refund: format::money(refund),
    };
    finish(
        guest,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the guest: the booking was cancelled by `by`; `refund` is what they get back (zero says
/// that nothing is refunded under the policy).
pub fn booking_cancelled(
    guest: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    by: CancelledBy,
    refund: Money,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = BookingCancelled {
        subject: subject(format!("Your booking at {} was cancelled", booking.property_title)),
        first_name: guest.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        by_host: by == CancelledBy::Host,
        refund: (refund.amount > 0).then(|| format::money(refund)),
    };
    finish(
        guest,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the guest: the booking expired (unpaid in time, or unanswered by the host); `refund` is
/// what they get back, if they had paid.
pub fn booking_expired(
    guest: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    refund: Option<Money>,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = BookingExpired {
        subject: subject(format!("Your booking at {} has expired", booking.property_title)),
        first_name: guest.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        refund: refund.filter(|money| money.amount > 0).map(format::money),
    };
    finish(
        guest,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the guest: the payment failed; `reason` is the provider's message, safe to show.
pub fn payment_failed(
    guest: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    reason: Option<&str>,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = PaymentFailed {
        subject: subject(format!("Payment failed for your booking at {}", booking.property_title)),
        first_name: guest.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        reason: reason.map(format::one_line).filter(|reason| !reason.is_empty()),
    };
    finish(
        guest,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the guest, 24 h before check-in, with the property's check-in instructions if it has
/// any (kept as written, line breaks included).
pub fn check_in_reminder(
    guest: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    instructions: Option<&str>,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = CheckInReminder {
        subject: subject(format!("Check-in tomorrow at {}", booking.property_title)),
        first_name: guest.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        instructions: instructions
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty()),
    };
    finish(
        guest,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the host: the payout of `amount` for the booking was paid at `paid_at` (shown on the
/// property's clock).
pub fn payout_paid(
    host: &Recipient<'_>,
    booking: &BookingSummary<'_>,
    amount: Money,
    paid_at: DateTime<Utc>,
    links: &MailLinks,
) -> Email {
    let settings = links.notification_settings();
    let view = PayoutPaid {
        subject: subject(format!(
            "Payout sent: {} for {}",
            format::money(amount),
            booking.property_title
        )),
        first_name: host.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        stay: StayView::of(booking, links),
        amount: format::money(amount),
        paid_at: format::local_time(paid_at, booking.time_zone),
    };
    finish(
        host,
        &view,
        view.subject.clone(),
        with_settings(view.stay.links(), &settings),
    )
}

/// To the reviewed side: a review about them was published. A host is sent to the property's
/// page (where reviews of it show), a guest to the booking.
pub fn review_published(to: &Recipient<'_>, review: &PublishedReview<'_>, links: &MailLinks) -> Email {
    let settings = links.notification_settings();
    let about_property = review.author_side == Side::Guest;
    let review_url = if about_property {
        links.property(review.property_id)
    } else {
        links.booking(review.booking_id)
    };
    let view = ReviewPublished {
        subject: subject(if about_property {
            format!("{} reviewed {}", review.author_first_name, review.property_title)
        } else {
            format!(
                "{} reviewed your stay at {}",
                review.author_first_name, review.property_title
            )
        }),
        first_name: to.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        author_first_name: review.author_first_name.to_owned(),
        rating: review.rating,
        about_property,
        property_title: review.property_title.to_owned(),
        review_url,
    };
    finish(
        to,
        &view,
        view.subject.clone(),
        with_settings(vec![view.review_url.clone()], &settings),
    )
}

/// To the recipient of a message: who wrote and a short excerpt, with a link to the
/// conversation.
pub fn new_message(to: &Recipient<'_>, message: &NewMessage<'_>, links: &MailLinks) -> Email {
    let settings = links.notification_settings();
    let view = NewMessageMail {
        subject: subject(format!("New message from {}", message.sender_first_name)),
        first_name: to.first_name.to_owned(),
        settings_url: Some(settings.clone()),
        sender_first_name: message.sender_first_name.to_owned(),
        excerpt: format::excerpt(message.body, EXCERPT_CHARS),
        conversation_url: links.conversation(message.conversation_id),
    };
    finish(
        to,
        &view,
        view.subject.clone(),
        with_settings(vec![view.conversation_url.clone()], &settings),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bookings::model::Terms;
    use crate::bookings::price::PriceBreakdown;
    use crate::money::Currency;
    use crate::properties::model::CancellationPolicy;

    const NAME: &str = "<script>Zoë</script>";
    const NAME_HTML: &str = "&#60;script&#62;Zoë&#60;/script&#62;";
    const TITLE: &str = "<b>Chalet</b> & \"Zürich\"";
    const TITLE_HTML: &str = "&#60;b&#62;Chalet&#60;/b&#62; &#38; &#34;Zürich&#34;";
    const SETTINGS: &str = "https://roost.example/settings/notifications";
    const BOOKING: &str = "https://roost.example/bookings/01BOOKING";
    const PROPERTY: &str = "https://roost.example/properties/01PROPERTY";

    fn links() -> MailLinks {
        MailLinks::new("https://roost.example/").unwrap()
    }

    fn to() -> Recipient<'static> {
        Recipient {
            email: "zoe@example.com",
            first_name: NAME,
        }
    }

    fn stay() -> BookingSummary<'static> {
        BookingSummary {
            booking_id: "01BOOKING",
            property_id: "01PROPERTY",
            property_title: TITLE,
            check_in: NaiveDate::from_ymd_opt(2026, 11, 14).unwrap(),
            check_out: NaiveDate::from_ymd_opt(2026, 11, 17).unwrap(),
            guests: 2,
            time_zone: "Europe/Zurich",
            check_in_time: "15:00",
            check_out_time: "11:00",
        }
    }

    fn eur(amount: i64) -> Money {
        Money::new(amount, Currency::parse("EUR").unwrap())
    }

    fn jpy(amount: i64) -> Money {
        Money::new(amount, Currency::parse("JPY").unwrap())
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    /// What every email must be: addressed, both parts whole, the recipient's name escaped in
    /// HTML only, every link in both parts, and the settings footer unless `security`.
    fn check_common(email: &Email, security: bool) {
        assert_eq!(email.to, "zoe@example.com");
        assert!(!email.subject.is_empty() && !email.subject.contains(['\r', '\n']));
        assert!(email.text.starts_with(&format!("Hi {NAME},\n")), "{}", email.text);
        assert!(
            email.text.trim_end().ends_with("The Roost team") == security,
            "{}",
            email.text
        );
        assert!(email.html.starts_with("<!DOCTYPE html>"));
        assert!(email.html.trim_end().ends_with("</html>"));
        assert!(email.html.contains(&format!("Hi {NAME_HTML},")), "{}", email.html);
        assert!(!email.html.contains("<script>") && !email.html.contains("<b>Chalet"));
        assert!(
            !email.text.contains("&#"),
            "the text part is not escaped: {}",
            email.text
        );
        assert!(!email.links.is_empty());
        for link in &email.links {
            assert!(link.starts_with("https://roost.example/"), "{link}");
            assert!(email.text.contains(link.as_str()), "{link} not in {}", email.text);
            assert!(
                email.html.contains(&format!("href=\"{link}\"")),
                "{link} not in {}",
                email.html
            );
        }
        let has_settings = email.links.last().map(String::as_str) == Some(SETTINGS);
        assert_eq!(has_settings, !security, "{:?}", email.links);
        assert_eq!(email.text.contains(SETTINGS), !security);
        assert_eq!(email.html.contains(SETTINGS), !security);
    }

    /// The stay's details, with the property's title escaped in HTML only.
    fn check_stay(email: &Email) {
        assert_eq!(email.links[..2], [BOOKING, PROPERTY]);
        for part in [&email.text, &email.html] {
            assert!(part.contains("Sat 14 Nov 2026, from 15:00"), "{part}");
            assert!(part.contains("Tue 17 Nov 2026, by 11:00"), "{part}");
            assert!(part.contains("3 nights, 2 guests"), "{part}");
        }
        assert!(email.text.contains(TITLE), "{}", email.text);
        assert!(email.html.contains(TITLE_HTML), "{}", email.html);
        assert!(email.subject.contains(TITLE) || !email.subject.contains("Chalet"));
    }

    #[test]
    fn verify_email_links_the_token_and_is_a_security_email() {
        let email = verify_email(&to(), "tok_EN-1", &links());
        check_common(&email, true);
        assert_eq!(email.subject, "Confirm your email address");
        assert_eq!(email.links, ["https://roost.example/verify-email?token=tok_EN-1"]);
        assert!(email.text.contains("24 hours"));
        assert!(email.html.contains("24 hours"));
    }

    #[test]
    fn password_reset_links_the_token_and_is_a_security_email() {
        let email = password_reset(&to(), "abc_DEF-123", &links());
        check_common(&email, true);
        assert_eq!(email.subject, "Reset your Roost password");
        assert_eq!(email.links, ["https://roost.example/reset-password?token=abc_DEF-123"]);
        assert!(email.text.contains("within 1 hour."), "{}", email.text);
    }

    #[test]
    fn password_changed_says_when_and_is_a_security_email() {
        let email = password_changed(&to(), at("2026-11-03T14:05:00Z"), &links());
        check_common(&email, true);
        assert_eq!(email.subject, "Your Roost password was changed");
        assert_eq!(email.links, ["https://roost.example/"]);
        assert!(email.text.contains("Tue 3 Nov 2026, 14:05 UTC"));
        assert!(email.html.contains("Tue 3 Nov 2026, 14:05 UTC"));
    }

    #[test]
    fn booking_requested_gives_the_host_a_deadline_on_the_property_clock() {
        let guest = "<i>Ann</i>";
        // 23:30 UTC is already the next day in Zurich (UTC+1 in November).
        let email = booking_requested(&to(), &stay(), guest, eur(12345), at("2026-11-03T23:30:00Z"), &links());
        check_common(&email, false);
        check_stay(&email);
        assert_eq!(email.subject, format!("New booking request for {TITLE}"));
        assert!(
            email.text.contains("by Wed 4 Nov 2026, 00:30 (Europe/Zurich)"),
            "{}",
            email.text
        );
        assert!(email.html.contains("Wed 4 Nov 2026, 00:30 (Europe/Zurich)"));
        assert!(email.text.contains("EUR 123.45") && email.html.contains("EUR 123.45"));
        assert!(email.text.contains("<i>Ann</i> would like"));
        assert!(email.html.contains("&#60;i&#62;Ann&#60;/i&#62; would like"));
        assert_eq!(email.links, [BOOKING, PROPERTY, SETTINGS]);

        let tokyo = BookingSummary {
            time_zone: "Asia/Tokyo",
            ..stay()
        };
        let email = booking_requested(&to(), &tokyo, "Ann", jpy(5000), at("2026-11-03T23:30:00Z"), &links());
        assert!(
            email.text.contains("Wed 4 Nov 2026, 08:30 (Asia/Tokyo)"),
            "{}",
            email.text
        );
        assert!(email.text.contains("JPY 5000") && email.html.contains("JPY 5000"));
    }

    #[test]
    fn booking_confirmed_has_a_guest_and_a_host_variant() {
        let guest = booking_confirmed_guest(&to(), &stay(), "Bob", jpy(5000), &links());
        check_common(&guest, false);
        check_stay(&guest);
        assert_eq!(guest.subject, format!("Your booking at {TITLE} is confirmed"));
        assert!(guest.text.contains("Bob is expecting you"));
        assert!(guest.text.contains("Total paid: JPY 5000"));

        let host = booking_confirmed_host(&to(), &stay(), "Ann", eur(9900), &links());
        check_common(&host, false);
        check_stay(&host);
        assert_eq!(
            host.subject,
            format!("Booking confirmed: {TITLE}, Sat 14 Nov 2026 to Tue 17 Nov 2026")
        );
        assert!(host.text.contains("Ann is coming to stay"));
        assert!(host.text.contains("EUR 99.00") && host.html.contains("EUR 99.00"));
    }

    #[test]
    fn booking_declined_tells_the_guest_the_refund() {
        let email = booking_declined(&to(), &stay(), eur(12345), &links());
        check_common(&email, false);
        check_stay(&email);
        assert_eq!(email.subject, format!("Your booking request for {TITLE} was declined"));
        assert!(email.text.contains("full refund of EUR 123.45"));
        assert!(email.html.contains("EUR 123.45"));
    }

    #[test]
    fn booking_cancelled_tells_who_cancelled_and_the_refund() {
        let by_host = booking_cancelled(&to(), &stay(), CancelledBy::Host, jpy(5000), &links());
        check_common(&by_host, false);
        check_stay(&by_host);
        assert_eq!(by_host.subject, format!("Your booking at {TITLE} was cancelled"));
        assert!(
            by_host
                .text
                .contains("your host cancelled your booking. You get a refund of JPY 5000")
        );
        assert!(by_host.html.contains("JPY 5000"));

        let by_guest = booking_cancelled(&to(), &stay(), CancelledBy::Guest, eur(0), &links());
        check_common(&by_guest, false);
        assert!(
            by_guest
                .text
                .contains("as you asked. Under the cancellation policy, nothing is refunded.")
        );
        assert!(by_guest.html.contains("nothing is refunded"));
        assert!(!by_guest.text.contains("EUR"));
    }

    #[test]
    fn booking_expired_mentions_a_refund_only_when_there_is_one() {
        let refunded = booking_expired(&to(), &stay(), Some(eur(5)), &links());
        check_common(&refunded, false);
        check_stay(&refunded);
        assert_eq!(refunded.subject, format!("Your booking at {TITLE} has expired"));
        assert!(refunded.text.contains("did not answer") && refunded.text.contains("EUR 0.05"));
        assert!(refunded.html.contains("EUR 0.05"));

        let unpaid = booking_expired(&to(), &stay(), None, &links());
        check_common(&unpaid, false);
        assert!(unpaid.text.contains("You were not charged.") && !unpaid.text.contains("refund"));
    }

    #[test]
    fn payment_failed_gives_the_reason_escaped() {
        let email = payment_failed(&to(), &stay(), Some("Your card was <declined>."), &links());
        check_common(&email, false);
        check_stay(&email);
        assert_eq!(email.subject, format!("Payment failed for your booking at {TITLE}"));
        assert!(email.text.contains("did not go through: Your card was <declined>."));
        assert!(email.html.contains("Your card was &#60;declined&#62;."));

        let no_reason = payment_failed(&to(), &stay(), None, &links());
        assert!(
            no_reason.text.contains("did not go through. The nights"),
            "{}",
            no_reason.text
        );
    }

    #[test]
    fn check_in_reminder_carries_the_instructions_when_there_are_some() {
        let instructions = "Door code: 4711\n<Key> under the mat";
        let email = check_in_reminder(&to(), &stay(), Some(instructions), &links());
        check_common(&email, false);
        check_stay(&email);
        assert_eq!(email.subject, format!("Check-in tomorrow at {TITLE}"));
        assert!(email.text.contains(instructions), "{}", email.text);
        assert!(
            email.html.contains("Door code: 4711<br>&#60;Key&#62; under the mat"),
            "{}",
            email.html
        );

        let without = check_in_reminder(&to(), &stay(), Some("  \n"), &links());
        check_common(&without, false);
        assert!(!without.text.contains("instructions") && !without.html.contains("instructions"));
    }

    #[test]
    fn payout_paid_shows_the_amount_and_the_time_on_the_property_clock() {
        let email = payout_paid(&to(), &stay(), jpy(123_456), at("2026-07-01T22:15:00Z"), &links());
        check_common(&email, false);
        check_stay(&email);
        assert_eq!(email.subject, format!("Payout sent: JPY 123456 for {TITLE}"));
        // Zurich is UTC+2 in July.
        assert!(
            email
                .text
                .contains("JPY 123456 on Thu 2 Jul 2026, 00:15 (Europe/Zurich)"),
            "{}",
            email.text
        );
        assert!(email.html.contains("Thu 2 Jul 2026, 00:15 (Europe/Zurich)"));
    }

    #[test]
    fn review_published_points_each_side_to_the_review() {
        let of_property = PublishedReview {
            author_side: Side::Guest,
            author_first_name: "<u>Ann</u>",
            rating: 5,
            booking_id: "01BOOKING",
            property_id: "01PROPERTY",
            property_title: TITLE,
        };
        let email = review_published(&to(), &of_property, &links());
        check_common(&email, false);
        assert_eq!(email.subject, format!("<u>Ann</u> reviewed {TITLE}"));
        assert_eq!(email.links, [PROPERTY, SETTINGS]);
        assert!(email.text.contains("rated it 5 out of 5"));
        assert!(email.html.contains("&#60;u&#62;Ann&#60;/u&#62; reviewed <strong>"));
        assert!(email.html.contains(TITLE_HTML));

        let of_guest = PublishedReview {
            author_side: Side::Host,
            rating: 4,
            ..of_property
        };
        let email = review_published(&to(), &of_guest, &links());
        check_common(&email, false);
        assert_eq!(email.subject, format!("<u>Ann</u> reviewed your stay at {TITLE}"));
        assert_eq!(email.links, [BOOKING, SETTINGS]);
        assert!(email.text.contains("reviewed your stay and rated it 4 out of 5"));
    }

    #[test]
    fn new_message_quotes_a_short_escaped_excerpt() {
        let body = format!("<a href=x>Hello</a>\nSee you soon. {}", "blah ".repeat(100));
        let message = NewMessage {
            conversation_id: "01CONV",
            sender_first_name: "Zoë",
            body: &body,
        };
        let email = new_message(&to(), &message, &links());
        check_common(&email, false);
        assert_eq!(email.subject, "New message from Zoë");
        assert_eq!(email.links, ["https://roost.example/conversations/01CONV", SETTINGS]);
        let excerpt = format::excerpt(&body, EXCERPT_CHARS);
        assert!(excerpt.chars().count() <= EXCERPT_CHARS && excerpt.ends_with('…'));
        assert!(email.text.contains(&format!("\"{excerpt}\"")), "{}", email.text);
        assert!(email.html.contains("&#60;a href=x&#62;Hello&#60;/a&#62; See you soon."));
        assert!(!email.text.contains(&body));
    }

    #[test]
    fn subjects_never_carry_a_line_break() {
        let title = "Nice\r\nBcc: victim@example.com";
        let booking = BookingSummary {
            property_title: title,
            ..stay()
        };
        let email = booking_cancelled(&to(), &booking, CancelledBy::Guest, eur(0), &links());
        assert_eq!(
            email.subject,
            "Your booking at Nice Bcc: victim@example.com was cancelled"
        );
    }

    #[test]
    fn a_summary_is_built_from_a_booking() {
        let nothing = eur(0);
        let price = PriceBreakdown {
            nights: 3,
            nightly_price: nothing,
            subtotal: nothing,
            cleaning_fee: nothing,
            service_fee: nothing,
            total: nothing,
            host_fee: nothing,
            host_payout: nothing,
        };
        let terms = Terms {
            time_zone: "Europe/Zurich".to_owned(),
            check_in_time: "15:00".to_owned(),
            check_out_time: "11:00".to_owned(),
            cancellation_policy: CancellationPolicy::Moderate,
            instant_book: true,
        };
        // Through JSON, as stored: the fields this test does not care about keep their defaults.
        let booking: Booking = serde_json::from_value(serde_json::json!({
            "id": "01BOOKING", "propertyId": "01PROPERTY", "guestId": "g", "hostId": "h",
            "checkIn": "2026-11-14", "checkOut": "2026-11-17", "guests": 2, "status": "confirmed",
            "price": price, "terms": terms,
            "holdExpiresAt": "2026-11-01T00:00:00Z", "createdAt": "2026-11-01T00:00:00Z", "history": []
        }))
        .unwrap();
        assert_eq!(BookingSummary::of(&booking, TITLE), stay());
    }

    /// `cargo test -p shared mail::templates::tests::print -- --ignored --nocapture` shows
    /// every email, to read the copy.
    #[test]
    #[ignore]
    fn print() {
        let review = PublishedReview {
            author_side: Side::Guest,
            author_first_name: "Ann",
            rating: 5,
            booking_id: "01BOOKING",
            property_id: "01PROPERTY",
            property_title: TITLE,
        };
        let message = NewMessage {
            conversation_id: "01CONV",
            sender_first_name: "Ann",
            body: "See you soon!",
        };
        let deadline = at("2026-11-03T23:30:00Z");
        for email in [
            verify_email(&to(), "tok", &links()),
            password_reset(&to(), "tok", &links()),
            password_changed(&to(), deadline, &links()),
            booking_requested(&to(), &stay(), "Ann", eur(12345), deadline, &links()),
            booking_confirmed_guest(&to(), &stay(), "Bob", eur(12345), &links()),
            booking_confirmed_host(&to(), &stay(), "Ann", eur(12345), &links()),
            booking_declined(&to(), &stay(), eur(12345), &links()),
            booking_cancelled(&to(), &stay(), CancelledBy::Host, eur(12345), &links()),
            booking_expired(&to(), &stay(), None, &links()),
            payment_failed(&to(), &stay(), Some("Your card was declined."), &links()),
            check_in_reminder(&to(), &stay(), Some("Code 4711\nSecond line"), &links()),
            payout_paid(&to(), &stay(), eur(12345), deadline, &links()),
            review_published(&to(), &review, &links()),
            new_message(&to(), &message, &links()),
        ] {
            println!("==== {}\n{}\n---- html\n{}\n", email.subject, email.text, email.html);
        }
    }
}
