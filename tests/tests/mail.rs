//! `SesMailer` against SES v2 on moto_server: what it sends arrives as sent, and SES's
//! refusals come back as `MailError::Rejected`.
//!
//! moto keeps the emails it accepted (subject, sender, recipients and, for simple content with
//! both parts, the HTML part) and shows them at `/moto-api/data.json` as `ses.Message`.

use serde_json::Value;
use shared::mail::templates::{self, Recipient};
use shared::mail::{MailError, MailLinks, Mailer, SesMailer};
use tests::moto;

/// A sender address no other test uses, verified on moto (SES refuses unverified senders).
async fn verified_mailer(configuration_set: Option<String>) -> (SesMailer, String) {
    let from = format!(
        "no-reply-{}@roost.example",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mailer = moto::verified_ses_sender(&from, configuration_set).await;
    (mailer, from)
}

/// The emails moto accepted for `to`.
async fn sent_to(to: &str) -> Vec<Value> {
    let url = format!("{}/moto-api/data.json", moto::endpoint());
    let data: Value = reqwest::get(&url)
        .await
        .and_then(|response| response.error_for_status())
        .unwrap_or_else(|err| panic!("GET {url}: {err}"))
        .json()
        .await
        .unwrap();
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|message| {
            message["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|addresses| addresses.iter().any(|address| address == to))
        })
        .collect()
}

fn unique_recipient() -> String {
    format!("guest-{}@example.com", ulid::Ulid::new().to_string().to_lowercase())
}

#[tokio::test]
async fn an_email_is_sent_from_the_sender_with_its_subject_and_html() {
    let configuration_set = format!("roost-{}", ulid::Ulid::new().to_string().to_lowercase());
    let (mailer, from) = verified_mailer(Some(configuration_set.clone())).await;
    mailer
        .client()
        .create_configuration_set()
        .configuration_set_name(&configuration_set)
        .send()
        .await
        .unwrap();
    let to = unique_recipient();
    let links = MailLinks::new("https://roost.example").unwrap();
    let recipient = Recipient {
        email: &to,
        first_name: "Zoë",
    };
    let email = templates::verify_email(&recipient, "tok_123", &links);
    assert!(sent_to(&to).await.is_empty());

    mailer.send(&email).await.unwrap();

    let sent = sent_to(&to).await;
    assert_eq!(sent.len(), 1, "exactly one email reached SES: {sent:?}");
    assert_eq!(sent[0]["source"], from.as_str());
    assert_eq!(sent[0]["subject"], email.subject.as_str());
    assert_eq!(sent[0]["body"], email.html.as_str());
    assert!(email.html.contains("Zoë") && email.html.contains("https://roost.example/verify-email?token=tok_123"));
}

#[tokio::test]
async fn an_unverified_sender_is_rejected_and_nothing_is_sent() {
    let from = format!(
        "unverified-{}@roost.example",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mailer = SesMailer::from_config(&moto::sdk_config().await, from, None);
    let to = unique_recipient();
    let links = MailLinks::new("https://roost.example").unwrap();
    let email = templates::password_reset(
        &Recipient {
            email: &to,
            first_name: "Zoë",
        },
        "tok",
        &links,
    );

    let refused = mailer.send(&email).await;

    match refused {
        Err(MailError::Rejected(reason)) => {
            assert!(reason.contains("MessageRejected"), "{reason}");
            assert!(!reason.contains("tok"), "no body in the error: {reason}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert!(sent_to(&to).await.is_empty());
}

#[tokio::test]
async fn an_invalid_recipient_is_rejected() {
    let (mailer, _) = verified_mailer(None).await;
    let links = MailLinks::new("https://roost.example").unwrap();
    let email = templates::verify_email(
        &Recipient {
            email: "not-an-address",
            first_name: "Zoë",
        },
        "tok",
        &links,
    );

    let refused = mailer.send(&email).await;

    assert!(matches!(refused, Err(MailError::Rejected(_))), "{refused:?}");
}
