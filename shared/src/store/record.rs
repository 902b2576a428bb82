//! Query pages for hot read paths that decode each item straight into a record
//! ([`super::Store::query_records`]). The embedded store hands each item's attributes over as
//! the JSON text it keeps, so a record is decoded in one pass and a filter can glance at a
//! few borrowed fields first; [`super::Item`]'s map would cost a tree of allocations per item,
//! most of them thrown away. Adapters without text (DynamoDB) hand over their decoded items.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::{IndexKey, Item, Key, Page, ResumeKey, StoreError};

/// One page of [`super::Store::query_records`]: the live items, in the query's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordPage {
    pub items: Vec<Record>,
    /// Set when more items may follow; pass it as the next query's `start`.
    pub next: Option<ResumeKey>,
}

impl From<Page> for RecordPage {
    fn from(page: Page) -> Self {
        Self {
            items: page.items.into_iter().map(Record::from).collect(),
            next: page.next,
        }
    }
}

/// An item of a [`RecordPage`]: its keys, and its attributes still to decode.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub key: Key,
    pub gsi1: Option<IndexKey>,
    pub gsi2: Option<IndexKey>,
    attrs: Attrs,
}

#[derive(Debug, Clone, PartialEq)]
enum Attrs {
    /// A JSON object's text, as the embedded store keeps it.
    Json(String),
    /// Decoded already (always an object).
    Decoded(Value),
}

impl Record {
    /// A record whose attributes are the JSON object `attrs` (the store checked it is one
    /// when it was written; [`Record::decode`] reports it if not).
    pub fn from_json(key: Key, gsi1: Option<IndexKey>, gsi2: Option<IndexKey>, attrs: String) -> Self {
        Self {
            key,
            gsi1,
            gsi2,
            attrs: Attrs::Json(attrs),
        }
    }

    /// The attributes as `T`, which may borrow from them (a glance at a few fields costs no
    /// copy of the rest).
    pub fn decode<'de, T: Deserialize<'de>>(&'de self) -> Result<T, StoreError> {
        let decoded = match &self.attrs {
            Attrs::Json(text) => serde_json::from_str(text),
            Attrs::Decoded(value) => T::deserialize(value),
        };
        decoded.map_err(|err| StoreError::InvalidItem(format!("{} {}: {err}", self.key.pk, self.key.sk)))
    }
}

impl From<Item> for Record {
    fn from(item: Item) -> Self {
        Self {
            key: item.key,
            gsi1: item.gsi1,
            gsi2: item.gsi2,
            attrs: Attrs::Decoded(Value::Object(item.attrs)),
        }
    }
}

/// A string field of a record decoded with [`Record::decode`]: borrowed from the attributes
/// unless it holds escapes (a bare `&str` fails on those; `Cow<str>`'s own impl always
/// copies, which costs an allocation per string of every item).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Text<'a>(#[serde(borrow)] pub Cow<'a, str>);

impl Text<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Glance<'a> {
        #[serde(borrow)]
        name: &'a str,
        rooms: u32,
    }

    fn key() -> Key {
        Key {
            pk: "P#1".into(),
            sk: "P".into(),
        }
    }

    #[test]
    fn text_and_decoded_attributes_read_alike_and_may_be_borrowed() {
        let json = Record::from_json(key(), None, None, r#"{"name":"Cabin","rooms":2,"extra":[1]}"#.into());
        let mut attrs = Map::new();
        attrs.insert("name".into(), "Cabin".into());
        attrs.insert("rooms".into(), 2.into());
        let item = Item {
            key: key(),
            kind: "property".into(),
            gsi1: None,
            gsi2: None,
            ttl: None,
            version: 0,
            attrs,
        };
        let decoded = Record::from(item);
        let want = Glance {
            name: "Cabin",
            rooms: 2,
        };
        assert_eq!(json.decode::<Glance<'_>>().unwrap(), want);
        assert_eq!(decoded.decode::<Glance<'_>>().unwrap(), want);
    }

    #[test]
    fn text_borrows_plain_strings_and_copies_escaped_ones() {
        #[derive(Deserialize)]
        struct Names<'a> {
            #[serde(borrow)]
            names: Vec<Text<'a>>,
        }
        let record = Record::from_json(key(), None, None, r#"{"names":["plain","say \"hi\"","é"]}"#.into());
        let names: Names<'_> = record.decode().unwrap();
        let texts: Vec<&str> = names.names.iter().map(Text::as_str).collect();
        assert_eq!(texts, ["plain", "say \"hi\"", "é"]);
        assert!(matches!(names.names[0].0, Cow::Borrowed(_)));
        assert!(matches!(names.names[1].0, Cow::Owned(_)));
    }

    #[test]
    fn a_record_that_does_not_fit_names_its_key() {
        let record = Record::from_json(key(), None, None, r#"{"name":"Cabin"}"#.into());
        let err = record.decode::<Glance<'_>>().unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidItem(message) if message.starts_with("P#1 P: ")),
            "{err:?}"
        );
        let broken = Record::from_json(key(), None, None, "{".into());
        assert!(matches!(broken.decode::<Glance<'_>>(), Err(StoreError::InvalidItem(_))));
    }
}
