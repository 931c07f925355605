//! Nomad's paginator for the lists the state store hands over whole (nodes, ACL tokens): the
//! records come in listing order, `next_token` names the first record of the next page,
//! `per_page` bounds a page (negative: an empty page that names the first record), and the
//! filter runs before records are counted.

use std::cmp::Ordering;

use drover_state::{Page, PageRequest};

/// Pages `items`, given in listing order. `compare` orders a record against the request's
/// token in ascending listing order (so `reverse` skips the records after it); `token` is a
/// record's own token.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = T>,
    request: &PageRequest,
    compare: impl Fn(&T, &str) -> Ordering,
    token: impl Fn(&T) -> String,
    keep: impl Fn(&T) -> bool,
) -> Page<T> {
    let before = if request.reverse {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    let from_token =
        |item: &T| request.next_token.is_empty() || compare(item, &request.next_token) != before;
    let mut out = Vec::new();
    for item in items.into_iter().filter(from_token).filter(keep) {
        if request.per_page != 0 && out.len() as i64 >= i64::from(request.per_page) {
            return Page {
                next_token: token(&item),
                items: out,
            };
        }
        out.push(item);
    }
    Page {
        items: out,
        next_token: String::new(),
    }
}

/// Orders a record listed by creation against a `<create index>.<id>` token: numerically on
/// the index, then on the ID (Nomad's `CreateIndexAndIDTokenizer`); a token of another shape
/// compares as a string.
pub(crate) fn compare_create_token(create_index: u64, id: &str, token: &str) -> Ordering {
    let parsed = token
        .split_once('.')
        .and_then(|(index, id)| Some((index.parse::<u64>().ok()?, id)));
    match parsed {
        Some((index, token_id)) => create_index.cmp(&index).then_with(|| id.cmp(token_id)),
        None => format!("{create_index}.{id}").as_str().cmp(token),
    }
}
