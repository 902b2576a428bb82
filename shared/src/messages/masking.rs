//! Contact masking: until a guest has a stay, email addresses, phone numbers and URLs in a
//! text message are replaced by `[hidden]` before it is stored, so deals stay on the platform.
//!
//! The rules, in the order they apply:
//! - an email address is `local@domain.tld` (a top-level label of 2+ letters);
//! - a URL starts with a scheme (`http://`, `https://`, `ftp://`) or `www.`, or is a bare host
//!   name ending in a common top-level domain (`mysite.com/book`); a word like `fine.thanks`
//!   is not one, nor `ok.no` (a top-level domain that is also a word needs a path);
//! - a phone number is 7 or more digits with at most spaces, dots, dashes or parentheses
//!   between them (and an optional leading `+`); digits glued to letters (ids), dates
//!   (`2026-12-24`, `24.12.2026`) and amounts next to a currency (`EUR 1 250 000`,
//!   `1.250.000 €`) are not phone numbers.

/// What replaces a contact detail.
pub const HIDDEN: &str = "[hidden]";

/// Top-level domains that make a bare host name a URL.
const TLDS: [&str; 40] = [
    "com", "net", "org", "io", "co", "me", "info", "biz", "app", "dev", "ly", "gl", "to", "link", "site", "online",
    "uk", "de", "fr", "ch", "es", "it", "nl", "be", "at", "pt", "se", "no", "dk", "fi", "pl", "ie", "us", "ca", "au",
    "br", "mx", "jp", "cn", "ru",
];

/// Top-level domains that are also English words: a bare `ok.no` is sloppy typing, so these
/// make a URL only with a path (`mysite.it/book`).
const WORD_TLDS: [&str; 7] = ["it", "me", "to", "at", "be", "no", "us"];

/// Currency codes and symbols that make a grouped number an amount.
const CURRENCY_CODES: [&str; 12] = [
    "EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "BRL",
];
const CURRENCY_SYMBOLS: [char; 6] = ['€', '$', '£', '¥', '₣', '₹'];

/// `text` with every contact detail replaced by [`HIDDEN`].
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut hidden = vec![false; chars.len()];
    mark_emails(&chars, &mut hidden);
    mark_urls(&chars, &mut hidden);
    let dates = date_spans(&chars);
    mark_phones(&chars, &mut hidden, &dates);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        if hidden[at] {
            out.push_str(HIDDEN);
            while at < chars.len() && hidden[at] {
                at += 1;
            }
        } else {
            out.push(chars[at]);
            at += 1;
        }
    }
    out
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// Whether `host` is `label(.label)+` whose last label is letters only (2+), or one of
/// [`TLDS`] when `known_tld` is asked for.
fn is_host(host: &str, known_tld: bool) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
        return false;
    }
    let tld = labels[labels.len() - 1].to_ascii_lowercase();
    if known_tld {
        TLDS.contains(&tld.as_str()) && labels[0].chars().any(|c| c.is_ascii_alphabetic())
    } else {
        tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
    }
}

fn mark_emails(chars: &[char], hidden: &mut [bool]) {
    for (at, &c) in chars.iter().enumerate() {
        if c != '@' {
            continue;
        }
        let mut start = at;
        while start > 0 && is_local_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_host_char(chars[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        let domain: String = chars[at + 1..end].iter().collect();
        if start < at && is_host(&domain, false) {
            hidden[start..end].iter_mut().for_each(|h| *h = true);
        }
    }
}

fn mark_urls(chars: &[char], hidden: &mut [bool]) {
    let mut at = 0;
    while at < chars.len() {
        if chars[at].is_whitespace() {
            at += 1;
            continue;
        }
        let mut end = at;
        while end < chars.len() && !chars[end].is_whitespace() {
            end += 1;
        }
        // The word without the punctuation around it.
        let (mut start, mut stop) = (at, end);
        while start < stop && matches!(chars[start], '(' | '<' | '"' | '\'' | '[') {
            start += 1;
        }
        while stop > start
            && matches!(
                chars[stop - 1],
                '.' | ',' | ';' | ':' | '!' | '?' | ')' | '>' | '"' | '\'' | ']'
            )
        {
            stop -= 1;
        }
        let word: String = chars[start..stop].iter().collect::<String>().to_ascii_lowercase();
        let is_url = if ["http://", "https://", "ftp://", "www."]
            .iter()
            .any(|p| word.starts_with(p))
        {
            word.len() > 7
        } else {
            let host = word.split(['/', '?', '#']).next().unwrap_or_default();
            let tld = host.rsplit('.').next().unwrap_or_default();
            let word_like = WORD_TLDS.contains(&tld) && host.len() == word.len();
            !word.contains('@') && !word_like && host.chars().all(is_host_char) && is_host(host, true)
        };
        if is_url && !hidden[start..stop].iter().any(|h| *h) {
            hidden[start..stop].iter_mut().for_each(|h| *h = true);
        }
        at = end;
    }
}

fn digits_at(chars: &[char], at: usize) -> usize {
    chars[at..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Where a date starting at `at` ends: `2026-12-24`, `2026.12.24`, `24.12.2026` or
/// `24-12-2026` (one separator kind throughout).
fn date_end(chars: &[char], at: usize) -> Option<usize> {
    let first = digits_at(chars, at);
    let sep_at = at + first;
    let sep = *chars.get(sep_at)?;
    if !matches!(sep, '-' | '.') {
        return None;
    }
    let second = digits_at(chars, sep_at + 1);
    let sep2_at = sep_at + 1 + second;
    if chars.get(sep2_at) != Some(&sep) {
        return None;
    }
    let third = digits_at(chars, sep2_at + 1);
    let short = |n: usize| (1..=2).contains(&n);
    let year_first = first == 4 && short(second) && short(third);
    let year_last = short(first) && short(second) && third == 4;
    (year_first || year_last).then_some(sep2_at + 1 + third)
}

/// The spans of the dates in `chars`.
fn date_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        if !chars[at].is_ascii_digit() || (at > 0 && chars[at - 1].is_ascii_digit()) {
            at += 1;
            continue;
        }
        match date_end(chars, at) {
            Some(end) => {
                spans.push((at, end));
                at = end;
            }
            None => at += digits_at(chars, at).max(1),
        }
    }
    spans
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '(' | ')')
}

/// Whether a currency sits right before `start` or right after `end` (one space allowed).
fn next_to_currency(chars: &[char], start: usize, end: usize) -> bool {
    let before: String = chars[..start].iter().collect();
    let before = before.strip_suffix(' ').unwrap_or(&before);
    let after: String = chars[end..].iter().collect();
    let after = after.strip_prefix(' ').unwrap_or(&after);
    let symbol = |c: Option<char>| c.is_some_and(|c| CURRENCY_SYMBOLS.contains(&c));
    let code_before = CURRENCY_CODES.iter().any(|code| {
        before.ends_with(code)
            && !before[..before.len() - code.len()]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric())
    });
    let code_after = CURRENCY_CODES.iter().any(|code| {
        after.starts_with(code) && !after[code.len()..].chars().next().is_some_and(|c| c.is_alphanumeric())
    });
    symbol(before.chars().next_back()) || symbol(after.chars().next()) || code_before || code_after
}

fn mark_phones(chars: &[char], hidden: &mut [bool], dates: &[(usize, usize)]) {
    // Emails, URLs and dates end a run of digits.
    let blocked: Vec<bool> = (0..chars.len())
        .map(|at| hidden[at] || dates.iter().any(|(s, e)| (*s..*e).contains(&at)))
        .collect();
    let breaks = |at: usize| blocked[at];
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let starts =
            (c.is_ascii_digit() || c == '+' || c == '(') && !breaks(at) && !(at > 0 && chars[at - 1].is_alphanumeric());
        if !starts {
            at += 1;
            continue;
        }
        // The longest run of digits and separators from here (a `+` only at its start).
        let mut end = at + 1;
        while end < chars.len() && !breaks(end) && (chars[end].is_ascii_digit() || is_separator(chars[end])) {
            end += 1;
        }
        // It ends on a digit or a closing parenthesis, never on a trailing separator.
        while end > at && !(chars[end - 1].is_ascii_digit() || chars[end - 1] == ')') {
            end -= 1;
        }
        let digits = chars[at..end].iter().filter(|c| c.is_ascii_digit()).count();
        let glued = end < chars.len() && chars[end].is_alphanumeric();
        if digits >= 7 && !glued && !next_to_currency(chars, at, end) {
            hidden[at..end].iter_mut().for_each(|h| *h = true);
        }
        at = end.max(at + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_are_hidden_and_look_alikes_are_not() {
        let table = [
            // emails
            (
                "mail me at ana.lopez+trip@example.co.uk please",
                "mail me at [hidden] please",
            ),
            ("ANA@EXAMPLE.COM", "[hidden]"),
            ("(bob_1990@mail.example.org).", "([hidden])."),
            // phone numbers, international formats
            ("call +41 79 123 45 67 tonight", "call [hidden] tonight"),
            ("(555) 123-4567", "[hidden]"),
            ("+1 (555) 123.4567!", "[hidden]!"),
            ("06 12 34 56 78", "[hidden]"),
            ("+44 20 7946 0958", "[hidden]"),
            ("0301234567", "[hidden]"),
            ("+49 (0) 30-123 4567", "[hidden]"),
            // URLs
            ("see https://evil.example/path?q=1 now", "see [hidden] now"),
            ("www.mysite.org", "[hidden]"),
            ("book on mysite.com/direct, cheaper", "book on [hidden], cheaper"),
            // look-alikes that stay
            (
                "We arrive 2026-12-24 and leave 2026-12-27.",
                "We arrive 2026-12-24 and leave 2026-12-27.",
            ),
            ("24.12.2026 - 27.12.2026", "24.12.2026 - 27.12.2026"),
            ("from 2026-12-24 12 guests", "from 2026-12-24 12 guests"),
            (
                "it costs EUR 1 250 000 or 1.250.000 €",
                "it costs EUR 1 250 000 or 1.250.000 €",
            ),
            ("€1,250.00 per night", "€1,250.00 per night"),
            ("$ 2 500 000", "$ 2 500 000"),
            ("code 123456", "code 123456"),
            ("room 12, floor 3, at 14:30", "room 12, floor 3, at 14:30"),
            ("3.5 stars, fine.thanks", "3.5 stars, fine.thanks"),
            ("All ok.No problem, see you.At 5", "All ok.No problem, see you.At 5"),
            ("or book at casa.it/rooms", "or book at [hidden]"),
            (
                "booking 01J9ZK2M3N4P5Q6R7S8T9V0W1X",
                "booking 01J9ZK2M3N4P5Q6R7S8T9V0W1X",
            ),
            ("12/24/2026", "12/24/2026"),
            ("a@b and @home", "a@b and @home"),
            ("", ""),
        ];
        for (input, expected) in table {
            assert_eq!(mask(input), expected, "masking {input:?}");
        }
    }

    #[test]
    fn several_details_in_one_message_are_each_hidden() {
        assert_eq!(
            mask("Write ana@example.com or call 079 123 45 67, see www.x.ch."),
            "Write [hidden] or call [hidden], see [hidden]."
        );
    }
}
