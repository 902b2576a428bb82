//! Limits of a document, checked on its syntax tree before anything executes: depth (not
//! counting introspection, whose standard query nests `ofType` deeper than any of ours),
//! aliases and root fields. Complexity is async-graphql's own, with connections weighted by
//! `first` (see `types::weight`).

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet};
use async_graphql::{Name, Positioned};

/// Deepest nesting of fields.
pub const MAX_DEPTH: usize = 10;
/// Most complexity points (a field is 1; a connection counts its selection `first` times).
pub const MAX_COMPLEXITY: usize = 1_000;
/// Most aliases in a document.
pub const MAX_ALIASES: usize = 50;
/// Most root fields in a document.
pub const MAX_ROOT_FIELDS: usize = 20;

/// The first limit `document` exceeds, as a sentence for the client.
pub fn check(document: &ExecutableDocument) -> Result<(), String> {
    let aliases = count_aliases(document);
    if aliases > MAX_ALIASES {
        return Err(format!(
            "the document has {aliases} aliases; at most {MAX_ALIASES} are allowed"
        ));
    }
    let mut walk = Walk {
        fragments: &document.fragments,
        depths: HashMap::new(),
        roots: HashMap::new(),
        open: HashSet::new(),
    };
    let mut root_fields = 0;
    let mut depth = 0;
    for (_, operation) in document.operations.iter() {
        root_fields += walk.root_fields(&operation.node.selection_set.node);
        depth = depth.max(walk.depth(&operation.node.selection_set.node));
    }
    if root_fields > MAX_ROOT_FIELDS {
        return Err(format!(
            "the document selects {root_fields} root fields; at most {MAX_ROOT_FIELDS} are allowed"
        ));
    }
    if depth > MAX_DEPTH {
        return Err(format!(
            "the query nests fields {depth} deep; at most {MAX_DEPTH} levels are allowed"
        ));
    }
    Ok(())
}

fn count_aliases(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + in_set(&field.node.selection_set.node)
                }
                Selection::InlineFragment(inline) => in_set(&inline.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let in_operations: usize = document
        .operations
        .iter()
        .map(|(_, operation)| in_set(&operation.node.selection_set.node))
        .sum();
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|fragment| in_set(&fragment.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

/// Fragments measured once each (a fragment spread many times costs one walk), with a guard
/// against cycles, which validation refuses afterwards.
struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    depths: HashMap<&'a str, usize>,
    roots: HashMap<&'a str, usize>,
    open: HashSet<&'a str>,
}

impl<'a> Walk<'a> {
    fn fragment(&self, name: &str) -> Option<(&'a str, &'a SelectionSet)> {
        self.fragments
            .get_key_value(name)
            .map(|(name, fragment)| (name.as_str(), &fragment.node.selection_set.node))
    }

    /// Levels of fields below (and including) this selection set's fields.
    fn depth(&mut self, set: &'a SelectionSet) -> usize {
        let mut deepest = 0;
        for selection in &set.items {
            let depth = match &selection.node {
                // Introspection is bounded by the schema itself, and by complexity.
                Selection::Field(field) if field.node.name.node.starts_with("__") => 0,
                Selection::Field(field) => 1 + self.depth(&field.node.selection_set.node),
                Selection::InlineFragment(inline) => self.depth(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => self.spread(&spread.node.fragment_name.node, Measure::Depth),
            };
            deepest = deepest.max(depth);
        }
        deepest
    }

    /// Fields selected at this level, through fragments.
    fn root_fields(&mut self, set: &'a SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => self.root_fields(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => self.spread(&spread.node.fragment_name.node, Measure::Roots),
            })
            .sum()
    }

    fn spread(&mut self, name: &str, measure: Measure) -> usize {
        let Some((name, set)) = self.fragment(name) else {
            return 0;
        };
        let memo = match measure {
            Measure::Depth => &self.depths,
            Measure::Roots => &self.roots,
        };
        if let Some(known) = memo.get(name) {
            return *known;
        }
        if !self.open.insert(name) {
            return 0;
        }
        let value = match measure {
            Measure::Depth => self.depth(set),
            Measure::Roots => self.root_fields(set),
        };
        self.open.remove(name);
        match measure {
            Measure::Depth => self.depths.insert(name, value),
            Measure::Roots => self.roots.insert(name, value),
        };
        value
    }
}

#[derive(Clone, Copy)]
enum Measure {
    Depth,
    Roots,
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn verdict(query: &str) -> Result<(), String> {
        check(&parse_query(query).unwrap())
    }

    #[test]
    fn depth_counts_fields_through_fragments_but_not_introspection() {
        let nested = |levels: usize| format!("{{ {}x{} }}", "a { ".repeat(levels - 1), " }".repeat(levels - 1));
        assert!(verdict(&nested(10)).is_ok());
        assert!(verdict(&nested(11)).unwrap_err().contains("11 deep"));
        let through_fragment = format!("{{ a {{ ...F }} }} fragment F on T {}", nested(10));
        assert!(verdict(&through_fragment).is_err());
        let introspection = format!("{{ __schema {} }}", nested(12));
        assert!(verdict(&introspection).is_ok());
    }

    #[test]
    fn aliases_and_root_fields_are_counted() {
        let aliased: String = (0..51).map(|i| format!("a{i}: x ")).collect();
        assert!(
            verdict(&format!("{{ f {{ {aliased} }} }}"))
                .unwrap_err()
                .contains("51 aliases")
        );
        let roots: String = (0..21).map(|i| format!("f{i} ")).collect();
        assert!(
            verdict(&format!("{{ {roots} }}"))
                .unwrap_err()
                .contains("21 root fields")
        );
        let spread = format!("{{ ...R }} fragment R on Query {{ {roots} }}");
        assert!(verdict(&spread).is_err());
    }

    #[test]
    fn fragment_cycles_end() {
        assert!(verdict("{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }").is_ok());
    }
}
