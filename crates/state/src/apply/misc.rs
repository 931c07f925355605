//! The smaller tables: scaling events, periodic launches, service registrations, namespaces
//! and ACL objects.

use std::sync::Arc;

use drover_model::job::{DEFAULT_NAMESPACE, job_status};
use drover_model::scaling::JOB_TRACKED_SCALING_EVENTS;
use drover_model::{AclPolicy, AclToken, Namespace, ServiceRegistration};

use super::Txn;
use crate::command::ScalingEventUpsert;
use crate::keys::{Q2, name};
use crate::table::Table;
use crate::{JobScalingEvents, PeriodicLaunch, StateError};

impl Txn<'_> {
    /// Prepends the event to its group's list and keeps the newest ones.
    pub(super) fn upsert_scaling_event(&mut self, c: &ScalingEventUpsert) {
        let key = self.t.job_key(&c.namespace, &c.job_id);
        let mut events = self
            .t
            .scaling_events
            .get(&key)
            .map(|e| (**e).clone())
            .unwrap_or_else(|| JobScalingEvents {
                namespace: c.namespace.clone(),
                job_id: c.job_id.clone(),
                ..JobScalingEvents::default()
            });
        events.modify_index = self.index;
        let mut event = c.event.clone();
        event.create_index = self.index;
        let list = events
            .scaling_events
            .entry(c.task_group.clone())
            .or_default();
        list.insert(0, event);
        list.truncate(JOB_TRACKED_SCALING_EVENTS);
        self.insert_into(|t| &mut t.scaling_events, key, Arc::new(events));
        self.touch(Table::ScalingEvent);
    }

    pub(super) fn upsert_periodic_launch(&mut self, mut launch: PeriodicLaunch) {
        let key = self.t.job_key(&launch.namespace, &launch.id);
        launch.create_index = self
            .t
            .periodic_launches
            .get(&key)
            .map_or(self.index, |l| l.create_index);
        launch.modify_index = self.index;
        self.insert_into(|t| &mut t.periodic_launches, key, Arc::new(launch));
        self.touch(Table::PeriodicLaunch);
    }

    pub(super) fn upsert_services(&mut self, services: &[ServiceRegistration]) {
        for service in services {
            let mut service = service.clone();
            service.create_index = self
                .t
                .services
                .get(&Q2(&service.namespace, &service.id))
                .map_or(self.index, |s| s.create_index);
            service.modify_index = self.index;
            self.put_service(Arc::new(service));
        }
        self.touch(Table::ServiceRegistrations);
    }

    pub(super) fn delete_service(&mut self, namespace: &str, id: &str) {
        if self.remove_service(namespace, id).is_some() {
            self.touch(Table::ServiceRegistrations);
        }
    }

    /// Services of an allocation that stopped for good are deregistered.
    pub(super) fn delete_services_of_alloc(&mut self, alloc_id: &str) {
        let services = self.t.services_of_alloc(alloc_id);
        for (namespace, id) in &services {
            self.remove_service(namespace, id);
        }
        if !services.is_empty() {
            self.touch(Table::ServiceRegistrations);
        }
    }

    pub(super) fn upsert_namespaces(&mut self, namespaces: &[Namespace]) {
        for namespace in namespaces {
            let mut namespace = namespace.clone();
            namespace.create_index = self
                .t
                .namespaces
                .get(namespace.name.as_str())
                .map_or(self.index, |n| n.create_index);
            namespace.modify_index = self.index;
            self.insert_into(
                |t| &mut t.namespaces,
                name(&namespace.name),
                Arc::new(namespace),
            );
        }
        self.touch(Table::Namespaces);
    }

    /// Only namespaces whose jobs are all dead can go, and `default` never does.
    pub(super) fn delete_namespaces(&mut self, names: &[String]) -> Result<(), StateError> {
        for name in names {
            if !self.t.namespaces.contains_key(name.as_str()) {
                return Err(StateError::NamespaceNotFound);
            }
            if name == DEFAULT_NAMESPACE {
                return Err(StateError::DefaultNamespaceDelete);
            }
            let live = self
                .t
                .jobs
                .range(Q2(name, "")..)
                .take_while(|(k, _)| k.0 == *name.as_str())
                .find(|(_, row)| row.job.status != job_status::DEAD);
            if let Some((_, row)) = live {
                return Err(StateError::NamespaceNotEmpty {
                    namespace: name.clone(),
                    job: row.job.id.to_string(),
                });
            }
            self.remove_from(|t| &mut t.namespaces, name.as_str());
        }
        self.touch(Table::Namespaces);
        Ok(())
    }

    pub(super) fn upsert_acl_policies(&mut self, policies: &[AclPolicy]) {
        for policy in policies {
            let mut policy = policy.clone();
            policy.create_index = self
                .t
                .acl_policies
                .get(policy.name.as_str())
                .map_or(self.index, |p| p.create_index);
            policy.modify_index = self.index;
            self.insert_into(
                |t| &mut t.acl_policies,
                name(&policy.name),
                Arc::new(policy),
            );
        }
        self.touch(Table::AclPolicy);
    }

    pub(super) fn delete_acl_policies(&mut self, names: &[String]) {
        for name in names {
            self.remove_from(|t| &mut t.acl_policies, name.as_str());
        }
        self.touch(Table::AclPolicy);
    }

    pub(super) fn upsert_acl_tokens(&mut self, tokens: &[AclToken]) {
        for token in tokens {
            let mut token = token.clone();
            token.create_index = self
                .t
                .acl_tokens
                .get(token.accessor_id.as_str())
                .map_or(self.index, |t| t.create_index);
            token.modify_index = self.index;
            self.put_token(Arc::new(token));
        }
        self.touch(Table::AclToken);
    }

    pub(super) fn delete_acl_tokens(&mut self, accessor_ids: &[String]) {
        for accessor_id in accessor_ids {
            self.remove_token(accessor_id);
        }
        self.touch(Table::AclToken);
    }
}
