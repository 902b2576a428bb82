//! Places: country codes, and the folded form of a city that search matches on
//! (`Zürich`, `ZURICH` and `zurich` are one place).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::codes::COUNTRIES;

/// An ISO 3166-1 alpha-2 country code (upper case).
pub fn parse_country(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if COUNTRIES.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err("must be an ISO 3166-1 alpha-2 country code such as CH".to_owned())
    }
}

/// Case- and accent-folded text: decomposed, combining marks dropped, lower case, inner
/// white space collapsed to one space. `ß` folds to `ss` as in case-insensitive matching.
pub fn fold(text: &str) -> String {
    let stripped: String = text.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    let lower = stripped.to_lowercase().replace('ß', "ss");
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Zürich"), "zurich");
        assert_eq!(fold("  SÃO   Paulo "), "sao paulo");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Kraków"), "krakow");
        assert_eq!(fold("zurich"), fold("ZÜRICH"));
    }

    #[test]
    fn countries_are_iso_alpha_2() {
        assert_eq!(parse_country("ch").unwrap(), "CH");
        assert!(parse_country("XX").is_err());
        assert!(parse_country("CHE").is_err());
    }
}
