//! Nomad's own service discovery (`provider = "nomad"`): the registrations of an allocation's
//! group and task services, and the job services read (`GET /v1/job/:id/services`).
//!
//! In Nomad the client registers an allocation's services once its tasks run, and the
//! servers delete them when the allocation stops or is garbage collected. Here the engine
//! derives the registrations from the client's report that the allocation runs (see
//! [`Engine::update_allocs_from_client`]), so every client the embedder drives (the
//! simulated nodes, tests) registers them without a second call; the store deletes them when
//! the allocation turns terminal on the client or is deleted.

use std::sync::Arc;

use drover_model::service::service_provider;
use drover_model::{Allocation, NetworkResource, Node, Service, ServiceRegistration};
use drover_state::Table;

use crate::acl::JobsEndpoint;
use crate::api::{Read, RequestContext};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

/// The node attribute holding the address a node advertises.
const NODE_ADDRESS: &str = "unique.network.ip-address";

impl Engine {
    /// `GET /v1/job/:id/services`: the job's registrations of Nomad services. A missing job
    /// is 404 "job not found". Index: the service registrations table's; blocking queries
    /// watch [`crate::tables::SERVICES`].
    pub fn job_services(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> ApiResult<Read<Vec<Arc<ServiceRegistration>>>> {
        self.authorize(ctx, JobsEndpoint::Services, ctx.namespace())?;
        let snapshot = self.snapshot();
        // Nomad never answers this read at index 0.
        let index = snapshot.table_index(Table::ServiceRegistrations).max(1);
        if snapshot.job(ctx.namespace(), job_id).is_none() {
            return Err(ApiError::not_found("job not found").at_index(index));
        }
        Ok(Read {
            value: snapshot.service_registrations_by_job(ctx.namespace(), job_id),
            index,
            next_token: String::new(),
        })
    }
}

/// The registrations of `alloc`'s Nomad services on `node`, as Nomad's client builds them: a
/// group service under the workload name `group-<group>`, a task service under its task's
/// name. A service whose port label names no port of the allocation is not registered (the
/// client fails that registration).
pub(crate) fn registrations(alloc: &Allocation, node: &Node) -> Vec<ServiceRegistration> {
    let Some(group) = alloc
        .job
        .as_ref()
        .and_then(|job| job.lookup_task_group(&alloc.task_group))
    else {
        return Vec::new();
    };
    let group_workload = format!("group-{}", group.name);
    let workloads = std::iter::once((group_workload.as_str(), &group.services))
        .chain(group.tasks.iter().map(|t| (t.name.as_str(), &t.services)));
    let canary = alloc
        .details()
        .deployment_status
        .as_ref()
        .is_some_and(|s| s.canary);
    let mut out = Vec::new();
    for (workload, services) in workloads {
        for service in services
            .iter()
            .filter(|s| s.provider == service_provider::NOMAD)
        {
            let Some((address, port)) = address(alloc, node, service) else {
                continue;
            };
            let tags = if canary && !service.canary_tags.is_empty() {
                &service.canary_tags
            } else {
                &service.tags
            };
            out.push(ServiceRegistration {
                id: format!(
                    "_nomad-task-{}-{workload}-{}-{}",
                    alloc.id, service.name, service.port_label
                ),
                service_name: service.name.clone(),
                namespace: alloc.namespace.to_string(),
                node_id: alloc.node_id.to_string(),
                datacenter: node.datacenter.clone(),
                job_id: alloc.job_id.to_string(),
                alloc_id: alloc.id.to_string(),
                tags: tags.clone(),
                address,
                port,
                ..ServiceRegistration::default()
            });
        }
    }
    out
}

/// The address and port a service advertises (Nomad's `GetAddress` in `auto` and `host`
/// modes): the port its label names among the allocation's ports (a number is taken as the
/// port itself), at the host address of that port, else of the allocation's first network,
/// else the node's; a service's own `address` wins.
fn address(alloc: &Allocation, node: &Node, service: &Service) -> Option<(String, i64)> {
    let resources = alloc.allocated_resources.as_ref();
    let networks: Vec<&NetworkResource> = resources
        .map(|r| {
            r.shared
                .networks
                .iter()
                .chain(r.tasks.values().flat_map(|t| &t.networks))
                .collect()
        })
        .unwrap_or_default();
    let default_ip = networks
        .first()
        .map(|n| n.ip.clone())
        .or_else(|| node.attributes.get(NODE_ADDRESS).cloned())
        .unwrap_or_default();
    let label = service.port_label.as_str();
    let (ip, port) = if label.is_empty() {
        (default_ip, 0)
    } else if let Ok(number) = label.parse::<i64>() {
        (default_ip, number)
    } else {
        let shared = resources
            .into_iter()
            .flat_map(|r| &r.shared.ports)
            .find(|p| p.label == label)
            .map(|p| (p.host_ip.clone(), p.value));
        let in_network = || {
            networks.iter().find_map(|n| {
                n.reserved_ports
                    .iter()
                    .chain(&n.dynamic_ports)
                    .find(|p| p.label == label)
                    .map(|p| (n.ip.clone(), p.value))
            })
        };
        let (ip, port) = shared.or_else(in_network)?;
        (if ip.is_empty() { default_ip } else { ip }, port)
    };
    let address = if service.address.is_empty() {
        ip
    } else {
        service.address.clone()
    };
    Some((address, port))
}
