//! What a GraphQL document may ask before the schema looks at it: checked in time linear in
//! its size, so no document can make the hub do work that grows faster than the document.
//!
//! - the text: at most [`MAX_DOCUMENT_BYTES`], brackets nested at most [`MAX_NESTING`] deep
//!   (checked before parsing, so the parser's recursion is bounded too);
//! - the parsed document: at most [`MAX_FRAGMENTS`] fragments and [`MAX_SPREADS`] fragment
//!   spreads, no fragment cycle, and — fragments expanded, each computed once — at most
//!   [`MAX_FIELDS`] fields and a depth of [`MAX_DEPTH`] (introspection's own `__schema` /
//!   `__type` trees are not counted in the depth, so the standard introspection query of
//!   graphql-js and Python `gql` passes).
//!
//! After these, the schema's cost limit (list fields cost their page size times their
//! selection, as GitHub and Shopify count) runs on a document whose expansion is bounded.
//! The same checks guard HTTP requests (in the handler, which answers 400) and WebSocket
//! subscriptions (the [`Guard`] extension).

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{Pos, ServerError, ServerResult, Variables};
use std::collections::HashMap;
use std::sync::Arc;

pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
pub const MAX_NESTING: usize = 64;
pub const MAX_FRAGMENTS: usize = 100;
pub const MAX_SPREADS: usize = 1_000;
pub const MAX_FIELDS: usize = 5_000;
pub const MAX_DEPTH: usize = 12;
/// The cost limit: what one request may ask for (see `schema()`).
pub const MAX_COST: usize = 25_000;

/// A refusal, as a GraphQL error with its code.
pub fn refusal(code: &str, message: impl Into<String>) -> ServerError {
    let mut e = ServerError::new(message, None::<Pos>);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
}

/// Checks the text before it is parsed: its size and how deep brackets nest (outside
/// strings and comments).
pub fn check_text(query: &str) -> ServerResult<()> {
    if query.len() > MAX_DOCUMENT_BYTES {
        return Err(refusal(
            "QUERY_TOO_LARGE",
            format!(
                "the document is {} bytes; at most {MAX_DOCUMENT_BYTES} are accepted",
                query.len()
            ),
        ));
    }
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => escaped = false,
                    }
                }
            }
            '{' | '(' | '[' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' | ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max > MAX_NESTING {
        return Err(refusal(
            "QUERY_TOO_DEEP",
            format!("brackets nest {max} deep; at most {MAX_NESTING} are accepted"),
        ));
    }
    Ok(())
}

/// The size and depth of a selection set with its fragments expanded.
#[derive(Clone, Copy, Default)]
struct Measure {
    fields: usize,
    depth: usize,
}

struct Analysis<'a> {
    doc: &'a ExecutableDocument,
    done: HashMap<&'a str, Measure>,
    visiting: Vec<&'a str>,
}

impl<'a> Analysis<'a> {
    fn fragment(&mut self, name: &'a str) -> ServerResult<Measure> {
        if let Some(m) = self.done.get(name) {
            return Ok(*m);
        }
        if self.visiting.contains(&name) {
            return Err(refusal(
                "GRAPHQL_VALIDATION_FAILED",
                format!("fragment {name} spreads itself (a cycle)"),
            ));
        }
        let Some(f) = self.doc.fragments.get(name) else {
            // Unknown fragments are the validator's to report.
            return Ok(Measure::default());
        };
        self.visiting.push(name);
        let m = self.selection_set(&f.node.selection_set.node)?;
        self.visiting.pop();
        self.done.insert(name, m);
        Ok(m)
    }

    fn selection_set(&mut self, set: &'a SelectionSet) -> ServerResult<Measure> {
        let mut total = Measure::default();
        for item in &set.items {
            let m = match &item.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    let child = self.selection_set(&f.node.selection_set.node)?;
                    let introspection = name == "__schema" || name == "__type";
                    Measure {
                        fields: child.fields.saturating_add(1),
                        depth: if introspection { 0 } else { child.depth + 1 },
                    }
                }
                Selection::FragmentSpread(s) => {
                    self.fragment(s.node.fragment_name.node.as_str())?
                }
                Selection::InlineFragment(i) => self.selection_set(&i.node.selection_set.node)?,
            };
            total.fields = total.fields.saturating_add(m.fields);
            total.depth = total.depth.max(m.depth);
            if total.fields > MAX_FIELDS {
                return Err(refusal(
                    "QUERY_TOO_LARGE",
                    format!(
                        "the document asks for more than {MAX_FIELDS} fields once its fragments are expanded"
                    ),
                ));
            }
        }
        Ok(total)
    }
}

/// Counts the fragment spreads written in a selection set.
fn spreads(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|i| match &i.node {
            Selection::Field(f) => spreads(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 1,
            Selection::InlineFragment(f) => spreads(&f.node.selection_set.node),
        })
        .sum()
}

/// Checks a parsed document; every operation in it is measured.
pub fn check_document(doc: &ExecutableDocument) -> ServerResult<()> {
    if doc.fragments.len() > MAX_FRAGMENTS {
        return Err(refusal(
            "QUERY_TOO_LARGE",
            format!(
                "{} fragments; at most {MAX_FRAGMENTS} are accepted",
                doc.fragments.len()
            ),
        ));
    }
    let written: usize = doc
        .fragments
        .values()
        .map(|f| spreads(&f.node.selection_set.node))
        .chain(
            doc.operations
                .iter()
                .map(|(_, o)| spreads(&o.node.selection_set.node)),
        )
        .sum();
    if written > MAX_SPREADS {
        return Err(refusal(
            "QUERY_TOO_LARGE",
            format!("{written} fragment spreads; at most {MAX_SPREADS} are accepted"),
        ));
    }
    let mut a = Analysis {
        doc,
        done: HashMap::new(),
        visiting: Vec::new(),
    };
    for (_, op) in doc.operations.iter() {
        let m = a.selection_set(&op.node.selection_set.node)?;
        if m.depth > MAX_DEPTH {
            return Err(refusal(
                "QUERY_TOO_DEEP",
                format!(
                    "the document is {} fields deep; at most {MAX_DEPTH} are accepted",
                    m.depth
                ),
            ));
        }
    }
    // Fragments no operation uses are still measured (the validator reads them too).
    let names: Vec<&str> = doc.fragments.keys().map(|n| n.as_str()).collect();
    for name in names {
        a.fragment(name)?;
    }
    Ok(())
}

/// Parses and checks a document: what every request goes through.
pub fn parse(query: &str) -> ServerResult<ExecutableDocument> {
    check_text(query)?;
    let doc = async_graphql::parser::parse_query(query).map_err(|e| {
        let mut err = ServerError::from(e);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", "GRAPHQL_PARSE_FAILED");
        err.extensions = Some(ext);
        err
    })?;
    check_document(&doc)?;
    Ok(doc)
}

/// The kind of the operation a request runs (`operation_name` picks one of several).
pub fn operation_type(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|o| o.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|o| o.node.ty)
        }
        _ => None,
    }
}

/// The same checks for documents that do not come through the HTTP handler (WebSocket
/// subscriptions): an extension around parsing.
pub struct Guard;

impl async_graphql::extensions::ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn async_graphql::extensions::Extension> {
        Arc::new(GuardExtension)
    }
}

struct GuardExtension;

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for GuardExtension {
    async fn parse_query(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: async_graphql::extensions::NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        check_text(query)?;
        let doc = next.run(ctx, query, variables).await?;
        check_document(&doc)?;
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fragment F1 on Query { ...F0 ...F0 }` … n levels: 2^n fields once expanded.
    fn fan_out(levels: usize) -> String {
        let mut q = String::from("fragment F0 on Query { me { email } }\n");
        for i in 1..=levels {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
                p = i - 1
            ));
        }
        q.push_str(&format!("query {{ ...F{levels} }}"));
        q
    }

    #[test]
    fn fragment_fan_out_is_refused_by_counting_not_expanding() {
        let small = parse(&fan_out(8)).expect("2^8 fields are fine");
        drop(small);
        let err = parse(&fan_out(23)).unwrap_err();
        assert!(err.message.contains("fields"), "{}", err.message);
        // A thousand levels still take one pass per fragment (the document is the limit).
        let err = parse(&fan_out(99)).unwrap_err();
        assert!(err.message.contains("fields"), "{}", err.message);
    }

    #[test]
    fn cycles_depth_size_and_nesting_are_refused_with_codes() {
        let code = |e: &ServerError| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let cyc = parse("fragment A on Query { ...B } fragment B on Query { ...A } query { ...A }")
            .unwrap_err();
        assert!(cyc.message.contains("cycle"), "{}", cyc.message);
        let deep = format!("query {{ {}x{} }}", "a { ".repeat(13), " }".repeat(13));
        assert!(code(&parse(&deep).unwrap_err()).contains("QUERY_TOO_DEEP"));
        let nested = format!("query {{ a(x: {}1{}) }}", "[".repeat(100), "]".repeat(100));
        assert!(code(&parse(&nested).unwrap_err()).contains("QUERY_TOO_DEEP"));
        let big = format!("query {{ {} }}", "f ".repeat(MAX_DOCUMENT_BYTES));
        assert!(code(&parse(&big).unwrap_err()).contains("QUERY_TOO_LARGE"));
        assert!(code(&parse("query {").unwrap_err()).contains("GRAPHQL_PARSE_FAILED"));
        // Brackets inside strings and comments do not count.
        parse("query { a(x: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\") } # {{{{").unwrap();
    }

    #[test]
    fn the_standard_introspection_query_passes() {
        // Depth 13 with its nested `ofType`s, all inside `__schema`.
        let q = include_str!("introspection_query.graphql");
        parse(q).expect("introspection passes");
    }

    #[test]
    fn the_operation_run_is_found() {
        let doc = parse("query A { a } mutation B { b }").unwrap();
        assert_eq!(
            operation_type(&doc, Some("B")),
            Some(OperationType::Mutation)
        );
        assert_eq!(operation_type(&doc, Some("A")), Some(OperationType::Query));
        assert_eq!(operation_type(&doc, None), None);
        let one = parse("mutation { b }").unwrap();
        assert_eq!(operation_type(&one, None), Some(OperationType::Mutation));
    }
}
