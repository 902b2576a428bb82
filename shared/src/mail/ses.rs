//! The SES adapter of the mail port: `SendEmail` of the SES v2 API with simple content (a
//! UTF-8 subject, text and HTML part), from one address, optionally through a configuration
//! set (for SES's bounce, complaint and delivery events).
//!
//! Built like the other SDK clients (`aws_http`): no network call and no CA file read at init.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::http::HttpResponse;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use super::{Email, MailError, Mailer};
use crate::aws_http::{EnvConfigError, sdk_config_from_env, service_endpoint};
use crate::env::non_empty_var;

/// Environment variable holding the sender, an SES-verified address or an address at a
/// verified domain (`Roost <no-reply@roost.example>` or `no-reply@roost.example`). Required.
pub const MAIL_FROM_ENV: &str = "MAIL_FROM";
/// Environment variable naming the SES configuration set to send through. Optional.
pub const CONFIGURATION_SET_ENV: &str = "SES_CONFIGURATION_SET";

const CHARSET: &str = "UTF-8";

/// [`Mailer`] over Amazon SES (v2 API).
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// A mailer sending with `client` from `from`, through `configuration_set` if given.
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set,
        }
    }

    /// A mailer whose client is built from `config` (its endpoint, region and credentials).
    pub fn from_config(config: &SdkConfig, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self::new(Client::new(config), from, configuration_set)
    }

    /// The mailer of a Lambda function: [`sdk_config_from_env`], on `AWS_ENDPOINT_URL_SESV2`
    /// when set, sending from `MAIL_FROM` (required) through `SES_CONFIGURATION_SET` (optional).
    /// No network call.
    pub fn from_env() -> Result<Self, EnvConfigError> {
        let from = non_empty_var(MAIL_FROM_ENV).ok_or(EnvConfigError::Missing(MAIL_FROM_ENV))?;
        let configuration_set = non_empty_var(CONFIGURATION_SET_ENV);
        let config = sdk_config_from_env()?;
        let mut builder = aws_sdk_sesv2::config::Builder::from(&config);
        if let Some(url) = service_endpoint("SESV2") {
            builder = builder.endpoint_url(url);
        }
        Ok(Self::new(Client::from_conf(builder.build()), from, configuration_set))
    }

    /// The SES client (tests use it to verify the sender on the emulator).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The sender every email goes out from.
    pub fn from(&self) -> &str {
        &self.from
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let content = |data: &str| {
            Content::builder()
                .data(data)
                .charset(CHARSET)
                .build()
                .map_err(|err| MailError::Rejected(format!("building the SES request: {err}")))
        };
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .text(content(&email.text)?)
                    .html(content(&email.html)?)
                    .build(),
            )
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(map_error)?;
        // The id only: the recipient is personal data and the body holds tokens.
        tracing::debug!(
            message_id = sent.message_id().unwrap_or_default(),
            "email sent through SES"
        );
        Ok(())
    }
}

/// Maps an SDK error by its kind, then by the service's code and HTTP status.
fn map_error(err: SdkError<SendEmailError, HttpResponse>) -> MailError {
    match &err {
        SdkError::ServiceError(context) => {
            let service = context.err();
            let status = context.raw().status().as_u16();
            classify(service.code(), Some(status), service.message().unwrap_or_default())
        }
        // Never reached SES, or no usable answer: timeouts, connection failures, a response
        // that could not be read, credentials that could not be loaded.
        SdkError::TimeoutError(_) => MailError::Unavailable("SES request timed out".to_owned()),
        SdkError::DispatchFailure(_) => MailError::Unavailable("SES could not be reached".to_owned()),
        SdkError::ResponseError(_) => MailError::Unavailable("SES answer could not be read".to_owned()),
        _ => MailError::Unavailable(format!("SES request failed: {}", err.code().unwrap_or("no error code"))),
    }
}

/// What a service error means for the email. Only what is about the email itself (its
/// address or content) is [`MailError::Rejected`]; throttling, 5xx, and the account's or the
/// configuration's state (suspended, paused, unverified sender domain, unknown configuration
/// set, missing permission) are [`MailError::Unavailable`], so that the email is retried
/// (and ends in a dead-letter queue) rather than lost while the cause is fixed.
fn classify(code: Option<&str>, status: Option<u16>, message: &str) -> MailError {
    let code_name = code.unwrap_or("no error code");
    let described = if message.is_empty() {
        code_name.to_owned()
    } else {
        format!("{code_name}: {message}")
    };
    if status.is_some_and(|status| status == 429 || status >= 500) {
        return MailError::Unavailable(described);
    }
    match code {
        Some("MessageRejected" | "BadRequestException" | "InvalidParameterValue" | "ValidationException") => {
            MailError::Rejected(described)
        }
        _ => MailError::Unavailable(described),
    }
}

#[cfg(test)]
mod tests {
    use aws_config::retry::RetryConfig;
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_sesv2::config::{Credentials, SharedCredentialsProvider};

    use super::*;
    use crate::aws_http::http_client;

    #[test]
    fn refusals_of_the_email_are_rejections_and_the_rest_is_retried() {
        let rejected = |code, status| matches!(classify(Some(code), Some(status), "m"), MailError::Rejected(_));
        assert!(rejected("MessageRejected", 400));
        assert!(rejected("BadRequestException", 400));
        assert!(rejected("InvalidParameterValue", 400));
        for (code, status) in [
            ("TooManyRequestsException", 429),
            ("LimitExceededException", 400),
            ("AccountSuspendedException", 400),
            ("SendingPausedException", 400),
            ("MailFromDomainNotVerifiedException", 400),
            ("NotFoundException", 404),
            ("AccessDeniedException", 403),
            ("InternalFailure", 500),
            ("BadRequestException", 503),
            ("Throttling", 400),
        ] {
            assert!(!rejected(code, status), "{code} {status}");
        }
        assert_eq!(
            classify(Some("MessageRejected"), Some(400), "Email address is not verified."),
            MailError::Rejected("MessageRejected: Email address is not verified.".to_owned())
        );
        assert!(matches!(classify(None, None, ""), MailError::Unavailable(_)));
    }

    /// A closed port: the SDK cannot connect, which must read as "try again later".
    #[tokio::test]
    async fn an_unreachable_endpoint_is_unavailable() {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "roost-tests",
            )))
            .http_client(http_client().unwrap())
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build();
        let mailer = SesMailer::from_config(&config, "no-reply@roost.example", None);
        let email = Email {
            to: "zoe@example.com".to_owned(),
            subject: "s".to_owned(),
            text: "t".to_owned(),
            html: "h".to_owned(),
            links: Vec::new(),
            reference: None,
        };
        let failed = mailer.send(&email).await;
        assert!(matches!(failed, Err(MailError::Unavailable(_))), "{failed:?}");
    }
}
