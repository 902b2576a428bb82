//! The app links emails carry, all under `APP_BASE_URL`.

use crate::aws_http::EnvConfigError;

/// Environment variable holding the web app's base URL (`https://roost.example`).
pub const APP_BASE_URL_ENV: &str = "APP_BASE_URL";

/// Builds the links of emails under the web app's base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailLinks {
    /// Without a trailing slash.
    base: String,
}

impl MailLinks {
    /// Links under `base_url`, an `http://` or `https://` URL without query or fragment (a
    /// trailing slash is dropped).
    pub fn new(base_url: &str) -> Result<Self, String> {
        let base = base_url.trim().trim_end_matches('/');
        let host = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .ok_or_else(|| format!("must be an http:// or https:// URL, got {base_url:?}"))?;
        if host.is_empty() || host.starts_with('/') {
            return Err(format!("must name a host, got {base_url:?}"));
        }
        if base.contains(['?', '#']) || base.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("must have no query, fragment or spaces, got {base_url:?}"));
        }
        Ok(Self { base: base.to_owned() })
    }

    /// Links under `APP_BASE_URL` (required).
    pub fn from_env() -> Result<Self, EnvConfigError> {
        let raw = std::env::var(APP_BASE_URL_ENV)
            .ok()
            .filter(|value| !value.trim().is_empty())
            .ok_or(EnvConfigError::Missing(APP_BASE_URL_ENV))?;
        Self::new(&raw).map_err(|_| EnvConfigError::Invalid(APP_BASE_URL_ENV, raw))
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `<base>/`: the app's home page.
    pub fn home(&self) -> String {
        format!("{}/", self.base)
    }

    /// `<base>/verify-email?token=<token>`.
    pub fn verify_email(&self, token: &str) -> String {
        format!("{}/verify-email?token={}", self.base, encode(token))
    }

    /// `<base>/reset-password?token=<token>`.
    pub fn reset_password(&self, token: &str) -> String {
        format!("{}/reset-password?token={}", self.base, encode(token))
    }

    /// `<base>/bookings/<id>`.
    pub fn booking(&self, booking_id: &str) -> String {
        format!("{}/bookings/{}", self.base, encode(booking_id))
    }

    /// `<base>/properties/<id>`.
    pub fn property(&self, property_id: &str) -> String {
        format!("{}/properties/{}", self.base, encode(property_id))
    }

    /// `<base>/conversations/<id>`.
    pub fn conversation(&self, conversation_id: &str) -> String {
        format!("{}/conversations/{}", self.base, encode(conversation_id))
    }

    /// `<base>/settings/notifications`.
    pub fn notification_settings(&self) -> String {
        format!("{}/settings/notifications", self.base)
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so that a token or an id
/// stays one path segment or one query value whatever it holds (URL-safe tokens and ULIDs pass
/// through unchanged).
fn encode(component: &str) -> String {
    let mut out = String::with_capacity(component.len());
    for byte in component.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_built_under_the_base_url() {
        let links = MailLinks::new("https://roost.example/").unwrap();
        assert_eq!(links.base(), "https://roost.example");
        assert_eq!(links.home(), "https://roost.example/");
        assert_eq!(
            links.verify_email("aB-_09"),
            "https://roost.example/verify-email?token=aB-_09"
        );
        assert_eq!(
            links.reset_password("t0k3n"),
            "https://roost.example/reset-password?token=t0k3n"
        );
        assert_eq!(links.booking("01BOOK"), "https://roost.example/bookings/01BOOK");
        assert_eq!(links.property("01PROP"), "https://roost.example/properties/01PROP");
        assert_eq!(
            links.conversation("01CONV"),
            "https://roost.example/conversations/01CONV"
        );
        assert_eq!(
            links.notification_settings(),
            "https://roost.example/settings/notifications"
        );
    }

    #[test]
    fn anything_but_unreserved_characters_is_percent_encoded() {
        let links = MailLinks::new("http://localhost:3000/app").unwrap();
        assert_eq!(
            links.reset_password("a+b/c=&d é"),
            "http://localhost:3000/app/reset-password?token=a%2Bb%2Fc%3D%26d%20%C3%A9"
        );
        assert_eq!(links.booking("../x"), "http://localhost:3000/app/bookings/..%2Fx");
    }

    #[test]
    fn a_base_url_must_be_http_with_a_host() {
        assert!(MailLinks::new("roost.example").is_err());
        assert!(MailLinks::new("https://").is_err());
        assert!(MailLinks::new("https://roost.example/?a=b").is_err());
        assert!(MailLinks::new("https://roost.example/#top").is_err());
        assert!(MailLinks::new("https://roo st.example").is_err());
    }
}
