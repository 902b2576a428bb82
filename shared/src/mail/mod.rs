//! Email: the mail port, its adapters (SES in Lambda, a local mailbox of `.eml` files for the
//! local API) and the emails Roost sends, rendered from templates.
//!
//! Bodies and links carry secrets (verification and reset tokens): nothing here logs them,
//! puts them in an error, or shows them through `{:?}`.

use std::fmt;

use async_trait::async_trait;

pub mod format;
pub mod links;
pub mod mailbox;
pub mod ses;
pub mod templates;

pub use links::MailLinks;
pub use mailbox::{Mailbox, StoredMail};
pub use ses::SesMailer;

/// One email to one address, with a plain-text and an HTML part.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// The app links the email carries: its main action first (the verification link, the
    /// booking), the notification settings last.
    pub links: Vec<String>,
    /// What makes this email one of a kind (the event it tells of and its recipient), set by
    /// the notifications consumer. An event handled again after a crash sends its email
    /// again with the same reference; a sink that can (the local mailbox) keeps one copy, the
    /// last. SES cannot, so there a crash between the send and its record repeats that email.
    pub reference: Option<String>,
}

// By hand: the parts and links of a verification or reset email hold its token.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text", &"<redacted>")
            .field("html", &"<redacted>")
            .field("links", &self.links.len())
            .finish()
    }
}

/// Why an email was not sent. Never carries the email's body or links.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Refused for good (an invalid address, content the service will not take): sending the
    /// same email again will not help.
    #[error("email refused: {0}")]
    Rejected(String),
    /// The mail service could not be reached, throttled or failed (or is misconfigured):
    /// sending again later may succeed.
    #[error("mail service unavailable: {0}")]
    Unavailable(String),
}

/// The mail port: hands one email over for delivery.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends `email`; `Ok` once the service (or the mailbox) has accepted it.
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}
