//! The query layer's own tests: addresses, every GraphQL document against the schema (no deprecated field), paging, payload errors.

use super::*;

#[test]
fn urls_are_normalised() {
    assert_eq!(
        normalize_url("localhost:8000/").unwrap(),
        "http://localhost:8000"
    );
    assert_eq!(
        normalize_url("127.0.0.1:8000").unwrap(),
        "http://127.0.0.1:8000"
    );
    assert_eq!(
        normalize_url("hub.example.com").unwrap(),
        "https://hub.example.com"
    );
    assert_eq!(
        normalize_url("http://hub.example.com:8000").unwrap(),
        "http://hub.example.com:8000"
    );
    assert!(normalize_url("ftp://x").is_err());
    assert!(normalize_url("").is_err());
}

#[test]
fn ws_url_follows_the_scheme() {
    let h = Hub::new("http://127.0.0.1:8000", None).unwrap();
    assert_eq!(h.ws_url(), "ws://127.0.0.1:8000/graphql/ws");
}

/// Every operation the CLI sends, with placeholder variables.
fn every_document() -> Vec<String> {
    use cynic::SubscriptionBuilder;
    let id = || ExecutionIdVars {
        execution_id: "x".into(),
    };
    let lock = || LockIdVars {
        lock_id: "x".into(),
    };
    let start = || StartVars {
        input: StartExecutionInput::default(),
    };
    vec![
        MeQuery::build(()).query,
        ServersQuery::build(ServersVars {
            filter: None,
            first: 1,
            after: None,
        })
        .query,
        TemplatesQuery::build(PageVars {
            first: 1,
            after: None,
        })
        .query,
        ExecutionsQuery::build(ExecutionsVars {
            filter: None,
            first: 1,
            after: None,
        })
        .query,
        ExecutionQuery::build(id()).query,
        LiveExecutionQuery::build(id()).query,
        LogsQuery::build(LogsVars {
            execution_id: "x".into(),
            server_id: None,
            offset: None,
            after: None,
            limit: 1,
        })
        .query,
        PreviewQuery::build(start()).query,
        LocksQuery::build(LocksVars {
            active_only: true,
            first: 1,
            after: None,
        })
        .query,
        StartMutation::build(start()).query,
        CancelMutation::build(id()).query,
        AcquireLockMutation::build(AcquireLockVars {
            input: AcquireLockInput {
                server_id: "x".into(),
                reason: "x".into(),
                lock_type: LockType::Maintenance,
                ttl_minutes: None,
                max_extension_count: None,
            },
        })
        .query,
        ReleaseLockMutation::build(lock()).query,
        ForceReleaseLockMutation::build(lock()).query,
        ExecutionUpdatesSubscription::build(id())
            .query()
            .to_string(),
    ]
}

#[test]
fn no_document_uses_a_deprecated_field_or_argument() {
    use cynic_parser::common::OperationType;
    use cynic_parser::executable::{Iter, Selection};
    use cynic_parser::type_system::{Definition, TypeDefinition};
    use std::collections::HashMap;

    let sdl =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql")).unwrap();
    let schema = cynic_parser::parse_type_system_document(&sdl).unwrap();
    fn deprecated<'a>(
        mut d: impl Iterator<Item = cynic_parser::type_system::Directive<'a>>,
    ) -> bool {
        d.any(|d| d.name() == "deprecated")
    }
    // (type, field) → (its type, deprecated?, deprecated arguments)
    let mut fields: HashMap<(String, String), (String, bool, Vec<String>)> = HashMap::new();
    for def in schema.definitions() {
        let (name, defs) = match def {
            Definition::Type(TypeDefinition::Object(o)) => (o.name(), o.fields()),
            Definition::Type(TypeDefinition::Interface(i)) => (i.name(), i.fields()),
            _ => continue,
        };
        for f in defs {
            let args = f
                .arguments()
                .filter(|a| deprecated(a.directives()))
                .map(|a| a.name().to_string())
                .collect();
            fields.insert(
                (name.to_string(), f.name().to_string()),
                (f.ty().name().to_string(), deprecated(f.directives()), args),
            );
        }
    }

    fn walk(
        ty: &str,
        set: Iter<'_, Selection<'_>>,
        fields: &HashMap<(String, String), (String, bool, Vec<String>)>,
        found: &mut Vec<String>,
    ) {
        for s in set {
            match s {
                Selection::Field(f) if f.name() == "__typename" => {}
                Selection::Field(f) => {
                    let key = (ty.to_string(), f.name().to_string());
                    let Some((of, dep, dep_args)) = fields.get(&key) else {
                        found.push(format!("{ty}.{} is not in the schema", f.name()));
                        continue;
                    };
                    if *dep {
                        found.push(format!("{ty}.{}", f.name()));
                    }
                    for a in f.arguments() {
                        if dep_args.iter().any(|d| d == a.name()) {
                            found.push(format!("{ty}.{}({}:)", f.name(), a.name()));
                        }
                    }
                    walk(of, f.selection_set(), fields, found);
                }
                Selection::InlineFragment(i) => walk(
                    i.type_condition().unwrap_or(ty),
                    i.selection_set(),
                    fields,
                    found,
                ),
                Selection::FragmentSpread(f) => {
                    found.push(format!("fragment spread {}", f.fragment_name()))
                }
            }
        }
    }

    let docs = every_document();
    let mut found = Vec::new();
    let mut selected = 0;
    for text in &docs {
        let doc = cynic_parser::parse_executable_document(text).unwrap();
        for op in doc.operations() {
            let root = match op.operation_type() {
                OperationType::Query => "Query",
                OperationType::Mutation => "Mutation",
                OperationType::Subscription => "Subscription",
            };
            selected += op.selection_set().count();
            walk(root, op.selection_set(), &fields, &mut found);
        }
    }
    assert_eq!(selected, docs.len(), "one root field per document");
    assert!(found.is_empty(), "deprecated or unknown: {found:?}");
    // The check itself sees deprecated fields (it would fail on the old documents).
    assert!(fields[&("Execution".into(), "action".into())].1);
    assert!(
        fields[&("Query".into(), "servers".into())]
            .2
            .contains(&"page".into())
    );
}

#[test]
fn lists_are_read_with_cursors_and_mutations_with_user_errors() {
    let docs = every_document().join("\n");
    for needed in [
        "servers(filter: $filter, first: $first, after: $after)",
        "pageInfo",
        "hasNextPage",
        "endCursor",
        "totalCount",
        "userErrors",
        "... on ShellCommandAction",
        "parameterDefinitions",
        "templateId",
    ] {
        assert!(docs.contains(needed), "{needed} missing:\n{docs}");
    }
}

fn page(nodes: std::ops::Range<i32>, next: bool) -> Result<(Vec<i32>, PageInfo, i32)> {
    let end = nodes.end;
    Ok((
        nodes.collect(),
        PageInfo {
            has_next_page: next,
            end_cursor: Some(end.to_string()),
        },
        25,
    ))
}

#[tokio::test]
async fn collect_follows_end_cursors_to_the_limit_or_the_end() {
    // A list of 25 served 10 at a time at most.
    let asked = std::sync::Mutex::new(Vec::new());
    let fetch = |first: i32, after: Option<String>| {
        asked.lock().unwrap().push((first, after.clone()));
        let from: i32 = after.map(|a| a.parse().unwrap()).unwrap_or(0);
        let to = (from + first.min(10)).min(25);
        async move { page(from..to, to < 25) }
    };
    let all = collect(usize::MAX, 10, fetch).await.unwrap();
    assert_eq!(all.items, (0..25).collect::<Vec<_>>());
    assert_eq!(all.total, 25);
    assert_eq!(
        *asked.lock().unwrap(),
        vec![(10, None), (10, Some("10".into())), (10, Some("20".into()))]
    );
    asked.lock().unwrap().clear();
    let some = collect(12, 10, fetch).await.unwrap();
    assert_eq!(some.items, (0..12).collect::<Vec<_>>());
    assert_eq!(some.total, 25);
    assert_eq!(
        *asked.lock().unwrap(),
        vec![(10, None), (2, Some("10".into()))]
    );
    // A cursor that does not move ends the reading instead of looping.
    let stuck = collect(usize::MAX, 10, |_, _| async { page(0..3, true) })
        .await
        .unwrap();
    assert_eq!(stuck.items.len(), 6);
}

#[test]
fn user_errors_become_the_refusal_they_were_as_top_level_errors() {
    let err = |code: ErrorCode, message: &str| UserError {
        field: Some(vec!["input".into(), "targetServers".into()]),
        code,
        message: message.into(),
    };
    let e = payload::<()>(None, vec![err(ErrorCode::NotFound, "unknown server x")]).unwrap_err();
    assert_eq!(e.exit(), crate::error::Exit::Refused);
    assert!(
        matches!(&e, CliError::Refused { code, message } if code == "not_found" && message == "unknown server x"),
        "{e:?}"
    );
    let e = payload::<()>(
        None,
        vec![
            err(ErrorCode::InvalidInput, "reason: empty"),
            err(ErrorCode::InvalidInput, "ttl_minutes: too long"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "reason: empty; ttl_minutes: too long");
    assert_eq!(e.exit(), crate::error::Exit::Refused);
    let e = payload::<()>(None, vec![err(ErrorCode::Conflict, "already locked")]).unwrap_err();
    assert_eq!(e.exit(), crate::error::Exit::Refused);
    // A code this CLI does not know is still an error, never a success.
    let e = payload::<()>(None, vec![err(ErrorCode::Other("NEW_CODE".into()), "?")]).unwrap_err();
    assert_eq!(e.exit(), crate::error::Exit::Error);
    assert_eq!(payload(Some(7), vec![]).unwrap(), 7);
    assert_eq!(
        payload::<()>(None, vec![]).unwrap_err().exit(),
        crate::error::Exit::Error
    );
}

#[test]
fn queries_only_use_fields_of_the_schema() {
    // cynic checks fields at compile time; this checks the documents it builds.
    use cynic::SubscriptionBuilder;
    let op = ExecutionUpdatesSubscription::build(ExecutionIdVars {
        execution_id: "x".into(),
    });
    assert!(
        op.query()
            .contains("executionUpdates(executionId: $executionId)"),
        "{}",
        op.query()
    );
}
