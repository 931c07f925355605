//! The query options of a read (Nomad's `parse`): namespace, region and token, `stale`,
//! `prefix`, paging, `filter`, `reverse`, and the blocking query's `index` and `wait`.

use std::time::Duration;

use drover_core::api::RequestContext;
use drover_core::model::job::ALL_NAMESPACES;
use drover_core::state::{NamespaceSelector, PageRequest};
use drover_core::{ApiError, ApiResult};

use super::call::{Call, parse_go_bool};
use crate::duration;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    pub context: RequestContext,
    pub prefix: String,
    pub per_page: i32,
    pub next_token: String,
    pub filter: String,
    pub reverse: bool,
    /// `?index`: answer once the result's index exceeds it (0: at once).
    pub min_index: u64,
    /// `?wait`; zero means the maximum.
    pub wait: Duration,
}

impl QueryOptions {
    /// Parses the options in Nomad's order; a malformed `stale`, `per_page`, `wait` or `index`
    /// is a 400 with Nomad's text.
    pub fn parse(call: &Call) -> ApiResult<Self> {
        let query = &call.query;
        if let Some(stale) = query.values("stale").next()
            && !stale.is_empty()
            && parse_go_bool(stale).is_none()
        {
            return Err(ApiError::bad_request(format!(
                "Expect `true` or `false` for `stale` query string parameter, got {stale}"
            )));
        }
        let per_page = match query.get("per_page") {
            "" => 0,
            text => text.parse::<i32>().map_err(|_| {
                ApiError::bad_request("Expect a number for `per_page` query string parameter")
            })?,
        };
        let wait = match query.get("wait") {
            "" => Duration::ZERO,
            text => match duration::parse_nanos(text) {
                // A negative wait blocks for the default time, as a zero one does.
                Some(nanos) => Duration::from_nanos(nanos.max(0) as u64),
                None => return Err(ApiError::bad_request("Invalid wait time")),
            },
        };
        let min_index = match query.get("index") {
            "" => 0,
            text => text
                .parse::<u64>()
                .map_err(|_| ApiError::bad_request("Invalid index"))?,
        };
        Ok(Self {
            context: call.context(),
            prefix: query.get("prefix").to_string(),
            per_page,
            next_token: query.get("next_token").to_string(),
            filter: query.get("filter").to_string(),
            reverse: query.get("reverse") == "true",
            min_index,
            wait,
        })
    }

    /// The namespaces a list covers: `*` is every namespace.
    pub fn namespaces(&self) -> NamespaceSelector {
        match self.context.namespace() {
            ALL_NAMESPACES => NamespaceSelector::All,
            namespace => NamespaceSelector::one(namespace),
        }
    }

    pub fn page(&self) -> PageRequest {
        PageRequest {
            prefix: self.prefix.clone(),
            next_token: self.next_token.clone(),
            per_page: self.per_page,
            reverse: self.reverse,
        }
    }
}
