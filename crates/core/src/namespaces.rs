//! Namespaces (Nomad's `Namespace` RPC endpoints): create or update, read, list, delete. Writes
//! need a management token when ACLs are on; reads show only the namespaces the token may use.

use std::sync::Arc;

use drover_model::Namespace;
use drover_model::gotext::{multierror, quote};
use drover_model::job::{DEFAULT_NAMESPACE, job_status};
use drover_state::{Command, NamespaceDeletes, NamespaceSelector, Namespaces, Snapshot, Table};

use crate::acl_api::stored;
use crate::api::{Read, RequestContext};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};
use crate::jobs::read;

/// Nomad's limit on a namespace description.
const MAX_DESCRIPTION: usize = 256;

impl Engine {
    /// `PUT/POST /v1/namespace/:name` (and `/v1/namespace` with no name in the path): creates
    /// or replaces the namespace. Answers the index.
    pub fn upsert_namespace(
        &self,
        ctx: &RequestContext,
        path_name: Option<&str>,
        namespace: Namespace,
    ) -> ApiResult<u64> {
        if path_name.is_some_and(|name| name != namespace.name) {
            return Err(ApiError::bad_request(
                "Namespace name does not match request path",
            ));
        }
        self.authorize_management(ctx)?;
        validate(&namespace)?;
        let command = Command::UpsertNamespaces(Namespaces {
            namespaces: vec![namespace],
        });
        Ok(self.commit(&command)?)
    }

    /// `DELETE /v1/namespace/:name`: refused for `default` and while a job of the namespace
    /// is not dead. Answers the index.
    pub fn delete_namespace(&self, ctx: &RequestContext, name: &str) -> ApiResult<u64> {
        self.authorize_management(ctx)?;
        if name == DEFAULT_NAMESPACE {
            return Err(ApiError::internal("can not delete default namespace"));
        }
        if has_live_jobs(&self.snapshot(), name) {
            // One region: the list Nomad prints of regions with live jobs is this one.
            return Err(ApiError::internal(format!(
                "namespace {} has non-terminal jobs in regions: [{}]",
                quote(name),
                self.config.region
            )));
        }
        let command = Command::DeleteNamespaces(NamespaceDeletes {
            names: vec![name.to_string()],
        });
        Ok(self.commit(&command)?)
    }

    /// `GET /v1/namespace/:name`: 403 unless the token may use the namespace, 404 "Namespace
    /// not found". Index: the namespace's ModifyIndex, else the table's (at least 1).
    pub fn read_namespace(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> ApiResult<Read<Arc<Namespace>>> {
        let identity = self.authenticated(ctx)?;
        if !identity.acl.allow_namespace(name) {
            return Err(ApiError::permission_denied());
        }
        let snapshot = self.snapshot();
        stored(
            snapshot.namespace(name),
            |n| n.modify_index,
            "Namespace not found",
            table_index(&snapshot),
        )
    }

    /// `GET /v1/namespaces?prefix=`: the namespaces the token may use, by name. Index: the
    /// namespaces table's (at least 1).
    pub fn list_namespaces(
        &self,
        ctx: &RequestContext,
        prefix: &str,
    ) -> ApiResult<Read<Vec<Arc<Namespace>>>> {
        let identity = self.authenticated(ctx)?;
        let snapshot = self.snapshot();
        let namespaces = snapshot
            .namespaces()
            .filter(|n| n.name.starts_with(prefix) && identity.acl.allow_namespace(&n.name))
            .cloned()
            .collect();
        Ok(read(table_index(&snapshot), namespaces))
    }
}

/// Nomad's `Namespace.Validate`, wrapped as its upsert endpoint wraps it.
fn validate(namespace: &Namespace) -> ApiResult<()> {
    let mut errors = Vec::new();
    let name = &namespace.name;
    let valid_name = (1..=128).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_name {
        errors.push(format!(
            "invalid name {}. Must match regex ^[a-zA-Z0-9-]{{1,128}}$",
            quote(name)
        ));
    }
    if namespace.description.len() > MAX_DESCRIPTION {
        errors.push(format!("description longer than {MAX_DESCRIPTION}"));
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::internal(format!(
        "Invalid namespace {}: {}",
        quote(name),
        multierror(&errors)
    )))
}

fn has_live_jobs(snapshot: &Snapshot, namespace: &str) -> bool {
    snapshot
        .jobs(&NamespaceSelector::one(namespace), "")
        .any(|job| job.status != job_status::DEAD)
}

/// Nomad floors the index of namespace reads at 1 so that a blocking query can wait on it.
fn table_index(snapshot: &Snapshot) -> u64 {
    snapshot.table_index(Table::Namespaces).max(1)
}
