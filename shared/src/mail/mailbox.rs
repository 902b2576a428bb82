//! The local API's mail adapter: keeps every email as an RFC 5322 `.eml` file in a folder
//! instead of sending it, and lists them back for `GET /_local/mail?to=`.
//!
//! One file per email, `<ULID>.eml` (names sort by the time of sending), written to a hidden
//! temporary file and renamed into place, so a reader never sees half an email and concurrent
//! sends never collide. Each file opens in any mail client: `multipart/alternative` with a
//! `text/plain` and a `text/html` part, UTF-8, base64 (the decoded parts are the email's text
//! and HTML byte for byte), the subject RFC 2047-encoded when it is not plain ASCII. The links
//! are kept in `X-Roost-Link` headers, in order, so that the file alone is the whole record.
//!
//! An email with a [`reference`](Email::reference) is kept once: `.refs/<reference>` names
//! the ULID its file has, written before the email, so the same email sent again after a crash
//! (before or after its file was written) replaces its one copy instead of adding another.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use ulid::Ulid;

use super::{Email, MailError, Mailer};
use crate::clock::Clock;

/// The sender of every email the mailbox keeps (`.invalid` can never be delivered to).
pub const LOCAL_FROM: &str = "Roost <no-reply@roost.invalid>";

const EXTENSION: &str = "eml";
const LINK_HEADER: &str = "X-Roost-Link";
/// Base64 line length (RFC 2045 allows at most 76).
const BASE64_LINE: usize = 76;
/// UTF-8 bytes per RFC 2047 encoded word: 39 bytes are 52 base64 characters, 64 with
/// `=?UTF-8?B?` and `?=` (an encoded word may have 75), so that even the first line,
/// `Subject: ` and a word, keeps within 78.
const ENCODED_WORD_BYTES: usize = 39;

/// An email the mailbox kept, as `GET /_local/mail` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMail {
    /// ULID, also the file's name.
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub links: Vec<String>,
    /// The mailbox clock's time of sending, to the second (the `Date` header).
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub sent_at: DateTime<Utc>,
}

/// A folder of `.eml` files standing in for a mail service.
pub struct Mailbox {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    /// The mailbox in `dir` (created if missing), dating emails by `clock` (the local API's
    /// movable clock).
    pub fn open(dir: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        Ok(Self { dir, clock })
    }

    /// The folder the emails are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The emails sent to `to` (compared case-insensitively), newest first.
    pub fn list(&self, to: &str) -> Result<Vec<StoredMail>, MailError> {
        let wanted = to.trim().to_lowercase();
        let entries = fs::read_dir(&self.dir).map_err(|err| unavailable("reading the mailbox", &err))?;
        let mut found = Vec::new();
        for entry in entries {
            let path = entry.map_err(|err| unavailable("reading the mailbox", &err))?.path();
            let Some(id) = mail_id(&path) else { continue };
            let raw = match fs::read_to_string(&path) {
                Ok(raw) => raw,
                // Removed by hand between listing and reading: it is simply gone.
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(unavailable("reading an email", &err)),
            };
            match parse(id, &raw) {
                Some(mail) if mail.to.to_lowercase() == wanted => found.push(mail),
                Some(_) => {}
                // A file dropped in by hand or cut short by hand: not ours to show.
                None => tracing::warn!(file = %path.display(), "skipping an unreadable email in the mailbox"),
            }
        }
        found.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(found)
    }

    fn write(&self, id: Ulid, raw: &str) -> io::Result<()> {
        let name = format!("{id}.{EXTENSION}");
        let temporary = self.dir.join(format!(".{name}.tmp"));
        let mut file = fs::File::create(&temporary)?;
        file.write_all(raw.as_bytes())?;
        drop(file);
        fs::rename(&temporary, self.dir.join(name))
    }
}

#[async_trait]
impl Mailer for Mailbox {
    // Blocking file I/O on the runtime's thread: a few kilobytes to a local disk, in the local
    // API only.
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        check_address(&email.to)?;
        let id = match &email.reference {
            Some(reference) => self
                .id_of(reference)
                .map_err(|err| unavailable("recording an email's reference", &err))?,
            None => crate::ids::new_ulid(),
        };
        let raw = render(id, LOCAL_FROM, email, self.clock.now());
        self.write(id, &raw)
            .map_err(|err| unavailable("writing an email", &err))
    }
}

impl Mailbox {
    /// The ULID of the email with `reference`: the one recorded, or a new one recorded now.
    fn id_of(&self, reference: &str) -> io::Result<Ulid> {
        let refs = self.dir.join(REFERENCES);
        let file = refs.join(reference_file_name(reference));
        match fs::read_to_string(&file) {
            Ok(recorded) => {
                if let Ok(id) = recorded.trim().parse::<Ulid>() {
                    return Ok(id);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        fs::create_dir_all(&refs)?;
        let id = crate::ids::new_ulid();
        let temporary = refs.join(format!(".{id}.tmp"));
        fs::write(&temporary, id.to_string())?;
        fs::rename(&temporary, &file)?;
        Ok(id)
    }
}

/// The hidden folder of references (hidden, so listing the mailbox skips it).
const REFERENCES: &str = ".refs";

/// A file name for `reference`, whatever it holds: its SHA-256 in hex (stable across builds,
/// so a restart on a newer binary still finds the references of the older one).
fn reference_file_name(reference: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(reference.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn unavailable(doing: &str, err: &io::Error) -> MailError {
    MailError::Unavailable(format!("{doing}: {err}"))
}

/// The id of a mailbox file: `<ULID>.eml`, not hidden (temporary files are).
fn mail_id(path: &Path) -> Option<String> {
    if path.extension()? != EXTENSION {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    Ulid::from_string(stem).ok().map(|_| stem.to_owned())
}

/// What SES would refuse too: an address that is not one address on one line.
fn check_address(to: &str) -> Result<(), MailError> {
    let valid = !to.is_empty()
        && to.contains('@')
        && !to
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;:\"()[]\\".contains(c));
    if valid {
        Ok(())
    } else {
        Err(MailError::Rejected("invalid recipient address".to_owned()))
    }
}

/// The email as an RFC 5322 message (CRLF line ends).
fn render(id: Ulid, from: &str, email: &Email, sent_at: DateTime<Utc>) -> String {
    let boundary = format!("=_roost_{id}");
    let mut out = String::new();
    let mut header = |name: &str, value: &str| {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    };
    header("Date", &sent_at.to_rfc2822());
    header("Message-ID", &format!("<{id}@roost.invalid>"));
    header("From", from);
    header("To", &email.to);
    header("Subject", &encode_header_text(&email.subject, "Subject".len()));
    header("MIME-Version", "1.0");
    for link in &email.links {
        header(LINK_HEADER, &header_safe(link));
    }
    header(
        "Content-Type",
        &format!("multipart/alternative;\r\n boundary=\"{boundary}\""),
    );
    out.push_str("\r\nThis is a multi-part message in MIME format.\r\n");
    for (subtype, body) in [("plain", &email.text), ("html", &email.html)] {
        out.push_str(&format!("\r\n--{boundary}\r\n"));
        out.push_str(&format!("Content-Type: text/{subtype}; charset=utf-8\r\n"));
        out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        let encoded = STANDARD.encode(body.as_bytes());
        for line in encoded.as_bytes().chunks(BASE64_LINE) {
            // Base64 is ASCII: every chunk is valid UTF-8.
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("\r\n--{boundary}--\r\n"));
    out
}

/// A header value as it is when it is short printable ASCII, else RFC 2047 `B` encoded words
/// (split on character boundaries, folded one per line).
fn encode_header_text(value: &str, name_len: usize) -> String {
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b)) && !value.contains("=?");
    if plain && name_len + 2 + value.len() <= 78 {
        return value.to_owned();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in value.chars() {
        if chunk.len() + c.len_utf8() > ENCODED_WORD_BYTES {
            words.push(encoded_word(&chunk));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(encoded_word(&chunk));
    }
    words.join("\r\n ")
}

fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", STANDARD.encode(text.as_bytes()))
}

/// A link as a header can carry it: anything outside printable ASCII percent-encoded (links
/// built by `MailLinks` never have any).
fn header_safe(link: &str) -> String {
    let mut out = String::with_capacity(link.len());
    for byte in link.bytes() {
        if (0x21..0x7f).contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Reads back a message [`render`] wrote; `None` if it is not one.
fn parse(id: String, raw: &str) -> Option<StoredMail> {
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let headers = unfold(head);
    let value = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    let to = value("To")?.to_owned();
    let subject = decode_header_text(value("Subject")?)?;
    let sent_at = DateTime::parse_from_rfc2822(value("Date")?).ok()?.to_utc();
    let boundary = value("Content-Type")?
        .split_once("boundary=\"")?
        .1
        .split_once('"')?
        .0
        .to_owned();
    let links = headers
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case(LINK_HEADER))
        .map(|(_, value)| value.clone())
        .collect();

    let (mut text, mut html) = (None, None);
    for part in body.split(&format!("--{boundary}")).skip(1) {
        let Some((part_head, part_body)) = part.split_once("\r\n\r\n") else {
            continue; // the closing `--` after the last boundary
        };
        let part_headers = unfold(part_head.trim_start_matches("\r\n"));
        let content_type = part_headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("Content-Type"))
            .map(|(_, value)| value.to_ascii_lowercase())?;
        let encoded: String = part_body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
        if content_type.starts_with("text/plain") {
            text = Some(decoded);
        } else if content_type.starts_with("text/html") {
            html = Some(decoded);
        }
    }
    Some(StoredMail {
        id,
        to,
        subject,
        text: text?,
        html: html?,
        links,
        sent_at,
    })
}

/// Header lines as `(name, value)`, continuation lines joined to the line they continue.
fn unfold(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str("\r\n");
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

/// The text of a header [`encode_header_text`] wrote.
fn decode_header_text(value: &str) -> Option<String> {
    if !value.starts_with("=?") {
        return Some(value.to_owned());
    }
    // Whitespace between adjacent encoded words is not part of the text (RFC 2047 6.2).
    let mut bytes = Vec::new();
    for word in value.split_ascii_whitespace() {
        let payload = word.strip_prefix("=?UTF-8?B?")?.strip_suffix("?=")?;
        bytes.extend(STANDARD.decode(payload).ok()?);
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::clock::ManualClock;

    fn email(to: &str, subject: &str, text: &str, html: &str) -> Email {
        Email {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text: text.to_owned(),
            html: html.to_owned(),
            links: vec![
                "https://roost.example/bookings/01B".to_owned(),
                "https://roost.example/settings/notifications".to_owned(),
            ],
            reference: None,
        }
    }

    fn scratch_dir() -> PathBuf {
        std::env::temp_dir().join(format!("roost-mailbox-{}", Ulid::new()))
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn lists_by_address_newest_first_ignoring_case() {
        let dir = scratch_dir();
        let _cleanup = Cleanup(dir.clone());
        let clock = Arc::new(ManualClock::default());
        clock.set(at("2030-01-01T10:00:00Z"));
        let mailbox = Mailbox::open(dir.join("mail"), clock.clone()).unwrap();

        mailbox
            .send(&email("Zoe@Example.com", "first", "1", "<p>1</p>"))
            .await
            .unwrap();
        mailbox
            .send(&email("other@example.com", "other", "x", "<p>x</p>"))
            .await
            .unwrap();
        clock.advance(Duration::minutes(5));
        mailbox
            .send(&email("zoe@example.com", "second", "2", "<p>2</p>"))
            .await
            .unwrap();

        let zoe = mailbox.list("ZOE@example.COM").unwrap();
        let subjects: Vec<&str> = zoe.iter().map(|mail| mail.subject.as_str()).collect();
        assert_eq!(subjects, ["second", "first"]);
        assert_eq!(zoe[0].to, "zoe@example.com");
        assert_eq!(zoe[1].to, "Zoe@Example.com");
        assert!(zoe[0].sent_at - at("2030-01-01T10:05:00Z") < Duration::seconds(2));
        assert!(zoe[1].sent_at - at("2030-01-01T10:00:00Z") < Duration::seconds(2));
        assert_eq!(zoe[0].links, email("", "", "", "").links);
        assert_eq!(zoe[1].text, "1");
        assert_eq!(zoe[1].html, "<p>1</p>");

        let other = mailbox.list("other@example.com").unwrap();
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].subject, "other");
        assert!(mailbox.list("nobody@example.com").unwrap().is_empty());

        let json = serde_json::to_value(&zoe[0]).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        for key in ["id", "to", "subject", "text", "html", "links", "sentAt"] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert!(json["sentAt"].as_str().unwrap().ends_with('Z'));
    }

    #[tokio::test]
    async fn each_email_is_one_eml_file_a_mail_client_reads() {
        let dir = scratch_dir();
        let _cleanup = Cleanup(dir.clone());
        let clock = Arc::new(ManualClock::default());
        clock.set(at("2030-06-15T08:30:00Z"));
        let mailbox = Mailbox::open(&dir, clock).unwrap();
        let subject = "Zoë, your stay in Zürich is confirmed: Chalet «Bergblick» with a very long title indeed";
        let text = "Hi Zoë,\n\nSee you in Zürich.\nLine two\n";
        let html = "<p>Hi Zo&euml;, see you in Zürich — 日本</p>\n";
        mailbox
            .send(&email("zoe@example.com", subject, text, html))
            .await
            .unwrap();

        let files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "no temporary file is left behind: {files:?}");
        let raw = fs::read(&files[0]).unwrap();
        assert!(raw.is_ascii(), "every non-ASCII byte is encoded");
        for line in String::from_utf8_lossy(&raw).lines() {
            assert!(line.len() <= 78, "{line}");
        }

        let parsed = mailparse::parse_mail(&raw).unwrap();
        assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
        let header = |name: &str| {
            use mailparse::MailHeaderMap;
            parsed.headers.get_first_value(name).unwrap()
        };
        assert_eq!(header("Subject"), subject);
        assert_eq!(header("To"), "zoe@example.com");
        assert_eq!(header("From"), LOCAL_FROM);
        assert_eq!(header("MIME-Version"), "1.0");
        let date = mailparse::dateparse(&header("Date")).unwrap();
        assert_eq!(date, at("2030-06-15T08:30:00Z").timestamp());
        let message_id = header("Message-ID");
        let id = files[0].file_stem().unwrap().to_str().unwrap();
        assert_eq!(message_id, format!("<{id}@roost.invalid>"));

        assert_eq!(parsed.subparts.len(), 2);
        let plain = &parsed.subparts[0];
        assert_eq!(plain.ctype.mimetype, "text/plain");
        assert_eq!(plain.ctype.charset, "utf-8");
        assert_eq!(plain.get_body().unwrap(), text);
        let rich = &parsed.subparts[1];
        assert_eq!(rich.ctype.mimetype, "text/html");
        assert_eq!(rich.get_body().unwrap(), html);

        let listed = mailbox.list("zoe@example.com").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, id);
        assert_eq!(listed[0].subject, subject);
        assert_eq!(listed[0].text, text);
        assert_eq!(listed[0].html, html);
        assert_eq!(listed[0].sent_at, at("2030-06-15T08:30:00Z"));
    }

    #[tokio::test]
    async fn concurrent_sends_each_keep_their_email() {
        let dir = scratch_dir();
        let _cleanup = Cleanup(dir.clone());
        let mailbox = Arc::new(Mailbox::open(&dir, Arc::new(ManualClock::default())).unwrap());
        let sends = (0..20).map(|n| {
            let mailbox = mailbox.clone();
            tokio::spawn(async move {
                let body = n.to_string();
                mailbox.send(&email("many@example.com", &body, &body, &body)).await
            })
        });
        for sent in futures::future::join_all(sends).await {
            sent.unwrap().unwrap();
        }
        let listed = mailbox.list("many@example.com").unwrap();
        assert_eq!(listed.len(), 20);
        let mut subjects: Vec<u32> = listed.iter().map(|mail| mail.subject.parse().unwrap()).collect();
        subjects.sort_unstable();
        assert_eq!(subjects, (0..20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn an_email_sent_again_with_its_reference_is_kept_once_as_last_sent() {
        let dir = scratch_dir();
        let _cleanup = Cleanup(dir.clone());
        let mailbox = Mailbox::open(&dir, Arc::new(ManualClock::default())).unwrap();
        let referenced = |text: &str| Email {
            reference: Some("EVENT#01A#USER#01B".to_owned()),
            ..email("once@example.com", "Confirm", text, text)
        };
        mailbox.send(&referenced("first token")).await.unwrap();
        mailbox.send(&referenced("second token")).await.unwrap();
        mailbox
            .send(&email("once@example.com", "Other", "x", "x"))
            .await
            .unwrap();
        let listed = mailbox.list("once@example.com").unwrap();
        let texts: Vec<&str> = listed.iter().map(|mail| mail.text.as_str()).collect();
        assert_eq!(listed.len(), 2, "{texts:?}");
        assert!(texts.contains(&"second token"), "the last copy is kept: {texts:?}");
        // A reopened mailbox (a restarted local API) still knows the reference.
        let reopened = Mailbox::open(&dir, Arc::new(ManualClock::default())).unwrap();
        reopened.send(&referenced("third token")).await.unwrap();
        assert_eq!(reopened.list("once@example.com").unwrap().len(), 2);
    }

    #[tokio::test]
    async fn an_address_that_is_not_one_address_is_rejected() {
        let dir = scratch_dir();
        let _cleanup = Cleanup(dir.clone());
        let mailbox = Mailbox::open(&dir, Arc::new(ManualClock::default())).unwrap();
        for to in [
            "",
            "no-at-sign",
            "a@b.com\r\nBcc: x@y.com",
            "a@b.com, c@d.com",
            "Zoë <z@x.com>",
        ] {
            let refused = mailbox.send(&email(to, "s", "t", "h")).await;
            assert!(matches!(refused, Err(MailError::Rejected(_))), "{to:?}: {refused:?}");
        }
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn files_that_are_not_mailbox_emails_are_skipped() {
        let dir = scratch_dir();
        let _cleanup = Cleanup(dir.clone());
        let mailbox = Mailbox::open(&dir, Arc::new(ManualClock::default())).unwrap();
        fs::write(dir.join("notes.txt"), "To: zoe@example.com").unwrap();
        fs::write(dir.join(format!("{}.eml", Ulid::new())), "To: zoe@example.com\r\n\r\n").unwrap();
        fs::write(dir.join(format!(".{}.eml.tmp", Ulid::new())), "half").unwrap();
        assert!(mailbox.list("zoe@example.com").unwrap().is_empty());
    }

    #[test]
    fn short_ascii_subjects_stay_plain_and_others_round_trip() {
        assert_eq!(encode_header_text("Reset your password", 7), "Reset your password");
        let long = "é".repeat(100);
        for subject in ["Zürich", "=?not an encoded word?=", "", long.as_str(), "a\r\nBcc: x@y"] {
            let encoded = encode_header_text(subject, 7);
            assert!(
                !encoded.contains(['\r', '\n']) || encoded.contains("\r\n "),
                "{encoded:?}"
            );
            let unfolded: String = encoded.replace("\r\n", "");
            assert_eq!(decode_header_text(&unfolded).unwrap(), subject);
            for word in encoded.split("\r\n ") {
                assert!(word.len() <= 75, "{word}");
            }
        }
    }
}
