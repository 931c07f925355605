//! Paging of the node and ACL token lists as Nomad's paginator does it: `per_page` bounds a
//! page, `next_token` names the first record of the next page, the filter runs before records
//! are counted, and the token's shape follows the listing order (node ID; accessor ID with a
//! prefix; `<create index>.<accessor ID>` without).

mod engine_common;

use std::collections::BTreeMap;
use std::sync::Arc;

use drover::core::api::{AclBootstrapRequest, AclTokenRequest, Read, RequestContext};
use drover::core::{ApiResult, Engine, EngineConfig, ManualClock, MemoryLog};
use drover::state::PageRequest;
use engine_common::*;

const SECRET: &str = "00000000-0000-4000-8000-000000000001";

/// Every page of a list, as (the page's names, its next token), from the first request on.
fn pages<T>(
    list: impl Fn(&PageRequest) -> ApiResult<Read<Vec<T>>>,
    name: impl Fn(&T) -> String,
    first: PageRequest,
) -> Vec<(Vec<String>, String)> {
    let mut request = first;
    let mut pages = Vec::new();
    loop {
        let page = list(&request).unwrap();
        let next = page.next_token.clone();
        pages.push((page.value.iter().map(&name).collect(), next.clone()));
        if next.is_empty() || pages.len() > 100 {
            return pages;
        }
        request.next_token = next;
    }
}

fn per_page(per_page: i32) -> PageRequest {
    PageRequest {
        per_page,
        ..PageRequest::default()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn node_pages(engine: &Engine, filter: &str, first: PageRequest) -> Vec<(Vec<String>, String)> {
    let list = |request: &PageRequest| engine.list_nodes(request, filter);
    pages(list, |node| node.id.to_string(), first)
}

#[test]
fn nodes_page_by_id_after_the_filter() {
    let f = fixture();
    for (id, status) in [
        ("n1", "ready"),
        ("n2", "down"),
        ("n3", "ready"),
        ("n4", "ready"),
        ("n5", "ready"),
        ("x1", "ready"),
    ] {
        f.engine.upsert_node(node(id, status)).unwrap();
    }
    let engine = &f.engine;
    let all = node_pages(engine, "", PageRequest::default());
    assert_eq!(
        all,
        [(
            strings(&["n1", "n2", "n3", "n4", "n5", "x1"]),
            String::new()
        )]
    );
    assert_eq!(
        node_pages(engine, "", per_page(4)),
        [
            (strings(&["n1", "n2", "n3", "n4"]), "n5".to_string()),
            (strings(&["n5", "x1"]), String::new()),
        ]
    );
    // Down nodes are filtered out before the page is counted; the prefix narrows the list.
    let ready = PageRequest {
        prefix: "n".to_string(),
        per_page: 2,
        ..PageRequest::default()
    };
    assert_eq!(
        node_pages(engine, r#"Status == "ready""#, ready),
        [
            (strings(&["n1", "n3"]), "n4".to_string()),
            (strings(&["n4", "n5"]), String::new()),
        ]
    );
    // A token between two IDs starts at the next one; a negative page size names the first.
    let between = PageRequest {
        next_token: "n35".to_string(),
        ..PageRequest::default()
    };
    assert_eq!(
        node_pages(engine, "", between),
        [(strings(&["n4", "n5", "x1"]), String::new())]
    );
    let negative = engine.list_nodes(&per_page(-1), "").unwrap();
    assert_eq!(
        (negative.value.len(), negative.next_token.as_str()),
        (0, "n1")
    );
    let index = engine.snapshot().table_index(drover::state::Table::Nodes);
    assert_eq!(engine.list_nodes(&per_page(2), "").unwrap().index, index);
    check_error(
        engine.list_nodes(&PageRequest::default(), "Missing == 1"),
        400,
        "failed to read result page: error finding value in datum: /Missing at part 0: couldn't find key: struct field with name \"Missing\"",
    );
}

fn acl_engine() -> Arc<Engine> {
    let config = EngineConfig {
        seed: 11,
        acl_enabled: true,
        ..EngineConfig::default()
    };
    let clock = Arc::new(ManualClock::new(START));
    let engine = Engine::new(config, clock, Box::new(MemoryLog::new()));
    let bootstrap = AclBootstrapRequest {
        bootstrap_secret: SECRET.to_string(),
    };
    engine.bootstrap_acl(&bootstrap, 0).unwrap();
    Arc::new(engine)
}

fn management() -> RequestContext {
    RequestContext {
        token: Some(SECRET.to_string()),
        ..RequestContext::default()
    }
}

#[test]
fn acl_tokens_page_in_creation_order_or_by_accessor_with_a_prefix() {
    let engine = acl_engine();
    let ctx = management();
    for n in 0..40 {
        let request = AclTokenRequest {
            name: format!("t{n:02}"),
            token_type: "management".to_string(),
            ..AclTokenRequest::default()
        };
        engine.upsert_acl_token(&ctx, None, request).unwrap();
    }
    // (accessor, name, create index) of every token, oldest first.
    let all: Vec<(String, String, u64)> = engine
        .list_acl_tokens(&ctx, &PageRequest::default(), "")
        .unwrap()
        .value
        .into_iter()
        .map(|t| (t.accessor_id, t.name, t.create_index))
        .collect();
    assert_eq!(all.len(), 41);
    assert!(all.is_sorted_by_key(|(_, _, index)| *index));
    let token_pages = |filter: &str, first: PageRequest| {
        let list = |request: &PageRequest| engine.list_acl_tokens(&ctx, request, filter);
        pages(list, |token| token.name.clone(), first)
    };
    let names = |rows: &[&(String, String, u64)]| -> Vec<String> {
        rows.iter().map(|(_, name, _)| name.clone()).collect()
    };

    // Without a prefix: creation order, tokens `<create index>.<accessor>`; reversed on request.
    let by_creation: Vec<&(String, String, u64)> = all.iter().collect();
    let paged = token_pages("", per_page(16));
    let expected: Vec<(Vec<String>, String)> = by_creation
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let next = by_creation.get((i + 1) * 16);
            let token = next.map_or(String::new(), |(id, _, index)| format!("{index}.{id}"));
            (names(chunk), token)
        })
        .collect();
    assert_eq!(paged, expected);
    let reverse = PageRequest {
        reverse: true,
        ..per_page(30)
    };
    let reversed = token_pages("", reverse);
    let mut newest_first = names(&by_creation);
    newest_first.reverse();
    assert_eq!(reversed[0].0, newest_first[..30]);
    assert_eq!(reversed[1].0, newest_first[30..]);

    // With a prefix: accessor order, tokens are accessor IDs.
    let mut by_first_char: BTreeMap<char, Vec<&(String, String, u64)>> = BTreeMap::new();
    for row in &all {
        let first = row.0.chars().next().unwrap();
        by_first_char.entry(first).or_default().push(row);
    }
    let (prefix, mut rows) = by_first_char
        .into_iter()
        .max_by_key(|(_, rows)| rows.len())
        .unwrap();
    assert!(rows.len() >= 3, "40 tokens share a first character");
    rows.sort();
    let by_prefix = PageRequest {
        prefix: prefix.to_string(),
        per_page: 2,
        ..PageRequest::default()
    };
    let paged = token_pages("", by_prefix);
    let expected: Vec<(Vec<String>, String)> = rows
        .chunks(2)
        .enumerate()
        .map(|(i, chunk)| {
            let next = rows.get((i + 1) * 2).map_or("", |(id, _, _)| id.as_str());
            (names(chunk), next.to_string())
        })
        .collect();
    assert_eq!(paged, expected);

    // The filter sees whole tokens and runs before the page is counted.
    let bootstrap = token_pages(r#"Name == "Bootstrap Token""#, per_page(1));
    assert_eq!(bootstrap, [(strings(&["Bootstrap Token"]), String::new())]);
    check_error(
        engine.list_acl_tokens(&ctx, &PageRequest::default(), "Name = x"),
        400,
        "failed to create result paginator: failed to read filter expression: 1:6 (5): no match found, expected: \"!=\", \"==\", \"contains\", \"in\", \"is\", \"matches\", \"not\" or [ \\t\\r\\n]",
    );
}
