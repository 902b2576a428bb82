//! A query's [`SetExclusion`] decided on a row's attribute text, before the row is decoded.
//!
//! SQLite could decide it (`json_each(attrs, '$.name')`), but it parses the whole JSON text of
//! every row to do so, which cost a dated city search about a sixth of its time. Here the
//! text is skimmed once: the other attributes are skipped without being built, and only the
//! named one is looked at, its strings borrowed from the row.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use shared::store::SetExclusion;
// An attribute name or a set member, borrowed from the row's text unless it holds escapes.
use shared::store::record::Text;

/// Whether the item whose attributes are the JSON object `attrs` is kept by `exclusion`: its
/// attribute holds none of the values. The attribute is a set (stored as an array of
/// strings); an item without it is kept, and so is one where it is not a set of strings, and
/// text that is not a JSON object, which the row's decoding then reports.
pub fn keeps(exclusion: &SetExclusion, attrs: &[u8]) -> bool {
    let mut de = serde_json::Deserializer::from_slice(attrs);
    !de.deserialize_map(Holds(exclusion)).unwrap_or(false)
}

/// Visits the attributes' object: true when the excluded attribute holds a value.
struct Holds<'a>(&'a SetExclusion);

impl<'de> Visitor<'de> for Holds<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of attributes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        // The rest of the object is skimmed too after the attribute: the decoder checks that
        // the text ends where the object does.
        let mut holds = false;
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            if name == self.0.attribute.as_str() {
                holds = map.next_value_seed(Members(self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(holds)
    }
}

/// The excluded attribute's value: true when it is an array holding one of the values. Any
/// other shape (not an array, or an array of anything but strings) is no string set: the
/// visit fails, and [`keeps`] keeps the item.
struct Members<'a>(&'a SetExclusion);

impl<'de> DeserializeSeed<'de> for Members<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a set of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut holds = false;
        // Read to the end, so that the array is checked whole like the rest of the text.
        while let Some(Text(member)) = seq.next_element::<Text<'de>>()? {
            holds = holds || self.0.values.iter().any(|value| *value == *member);
        }
        Ok(holds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn without(values: &[&str]) -> SetExclusion {
        SetExclusion {
            attribute: "takenNights".into(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn an_item_is_left_out_when_its_set_holds_any_value() {
        let attrs = br#"{"a":{"takenNights":["2027-01-02"]},"takenNights":["2027-01-01","2027-01-03"],"z":1}"#;
        assert!(!keeps(&without(&["2027-01-03"]), attrs));
        assert!(!keeps(&without(&["2027-01-09", "2027-01-01"]), attrs));
        // Only the top-level attribute counts, not a nested field of the same name.
        assert!(keeps(&without(&["2027-01-02"]), attrs));
    }

    #[test]
    fn an_item_without_the_attribute_or_with_another_shape_is_kept() {
        let exclusion = without(&["x"]);
        assert!(keeps(&exclusion, br#"{"heldNights":["x"]}"#));
        assert!(keeps(&exclusion, br#"{}"#));
        assert!(keeps(&exclusion, br#"{"takenNights":"x"}"#));
        assert!(keeps(&exclusion, br#"{"takenNights":{"x":"x"}}"#));
        assert!(keeps(&exclusion, br#"{"takenNights":[1,null,["x"],{"x":1}]}"#));
        // Not JSON: kept, for the row's decoding to report.
        assert!(keeps(&exclusion, b"{\"takenNights\":[\"x\""));
        assert!(keeps(&exclusion, b"[]"));
    }

    #[test]
    fn escaped_members_and_names_compare_by_their_text() {
        assert!(!keeps(&without(&["a\"b"]), br#"{"takenNights":["a\"b"]}"#));
        assert!(!keeps(&without(&["é"]), br#"{"taken\u004eights":["\u00e9"]}"#));
    }
}
