//! `?filter=` on the list endpoints (nomad-core section 2.12): a go-bexpr expression over each
//! record's Nomad JSON, applied before paging, with the texts and the 400 of Nomad's
//! paginator.

use std::cell::RefCell;

use drover_filter::{Filter, FilterError};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// One list request's filter. The first record the expression cannot be evaluated on stops
/// the page (as Nomad's paginator does); [`ListFilter::finish`] reports it.
#[derive(Debug)]
pub struct ListFilter {
    filter: Option<Filter>,
    failure: RefCell<Option<FilterError>>,
}

impl ListFilter {
    /// Parses `expression`; empty keeps every record. A bad expression is Nomad's 400.
    pub fn parse(expression: &str) -> ApiResult<Self> {
        let filter = match expression {
            "" => None,
            expression => Some(Filter::parse(expression).map_err(|e| {
                ApiError::bad_request(format!(
                    "failed to create result paginator: failed to read filter expression: {e}"
                ))
            })?),
        };
        Ok(Self {
            filter,
            failure: RefCell::new(None),
        })
    }

    /// Whether `record` (as its Nomad JSON) passes; false once an evaluation has failed.
    pub fn keep(&self, record: &impl Serialize) -> bool {
        let Some(filter) = &self.filter else {
            return true;
        };
        if self.failure.borrow().is_some() {
            return false;
        }
        filter.evaluate_record(record).unwrap_or_else(|e| {
            *self.failure.borrow_mut() = Some(e);
            false
        })
    }

    /// The page's outcome: Nomad's 400 if an evaluation failed.
    pub fn finish(self) -> ApiResult<()> {
        match self.failure.into_inner() {
            Some(error) => Err(ApiError::bad_request(format!(
                "failed to read result page: {error}"
            ))),
            None => Ok(()),
        }
    }
}
