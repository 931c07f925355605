//! Which capabilities each Jobs API endpoint needs, and the checks that enforce them.

use drover_model::Job;
use drover_model::group::volume_type;

use super::AclError;
use super::capability::{Capability, HostVolumeCapability};
use super::compiled::Acl;

/// A Jobs API endpoint, as far as ACLs tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobsEndpoint {
    /// `GET /v1/jobs`; the namespace may be `*` (then filter with [`Acl::allowed_namespaces`]).
    List,
    /// `GET /v1/job/:id`.
    Read,
    /// `POST /v1/jobs` and `POST /v1/job/:id`. Also check [`Acl::check_job_volumes`].
    Register {
        policy_override: bool,
    },
    /// `POST /v1/job/:id/plan`.
    Plan {
        policy_override: bool,
    },
    /// `POST /v1/jobs/parse`, on `?namespace` (default "default").
    Parse,
    /// `POST /v1/validate/job`, on the job's own namespace.
    Validate,
    Dispatch,
    PeriodicForce,
    /// `POST /v1/job/:id/revert`. The old version is registered again, so also check
    /// [`Acl::check_job_volumes`] on it.
    Revert,
    Stable,
    Evaluate,
    /// `DELETE /v1/job/:id`, with `?purge`.
    Deregister {
        purge: bool,
    },
    /// `POST /v1/job/:id/scale`.
    Scale {
        policy_override: bool,
    },
    /// `GET /v1/job/:id/scale`.
    ScaleStatus,
    /// `/v1/job/:id/versions/:name/tag`.
    Tag,
    Versions,
    Allocations,
    Evaluations,
    /// `/v1/job/:id/deployments` and `/v1/job/:id/deployment`.
    Deployments,
    Summary,
    Submission,
    Services,
}

impl JobsEndpoint {
    /// The capabilities of which the token needs at least one.
    pub fn any_of(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            JobsEndpoint::List => &[ListJobs],
            JobsEndpoint::Read
            | JobsEndpoint::Validate
            | JobsEndpoint::Versions
            | JobsEndpoint::Allocations
            | JobsEndpoint::Evaluations
            | JobsEndpoint::Deployments
            | JobsEndpoint::Summary
            | JobsEndpoint::Submission
            | JobsEndpoint::Services => &[ReadJob],
            JobsEndpoint::Register { .. } => &[SubmitJob, RegisterJob],
            JobsEndpoint::Plan { .. } => &[SubmitJob, PlanJob],
            JobsEndpoint::Parse => &[ParseJob, SubmitJob],
            JobsEndpoint::Dispatch => &[DispatchJob],
            JobsEndpoint::PeriodicForce => &[DispatchJob, SubmitJob, ForcePeriodicJob],
            JobsEndpoint::Revert => &[SubmitJob, RevertJob],
            JobsEndpoint::Stable => &[SubmitJob, StableJob],
            JobsEndpoint::Evaluate => &[SubmitJob, EvaluateJob],
            JobsEndpoint::Deregister { purge: true } => &[SubmitJob, PurgeJob],
            JobsEndpoint::Deregister { purge: false } => &[SubmitJob, PurgeJob, DeregisterJob],
            JobsEndpoint::Scale { .. } => &[ScaleJob, SubmitJob],
            JobsEndpoint::ScaleStatus => &[ReadJob, ReadJobScaling],
            JobsEndpoint::Tag => &[SubmitJob, TagJobVersion],
        }
    }

    /// A capability needed on top of [`JobsEndpoint::any_of`]: sentinel-override when the
    /// request sets `PolicyOverride`.
    pub fn also_requires(self) -> Option<Capability> {
        match self {
            JobsEndpoint::Register {
                policy_override: true,
            }
            | JobsEndpoint::Plan {
                policy_override: true,
            }
            | JobsEndpoint::Scale {
                policy_override: true,
            } => Some(Capability::SentinelOverride),
            _ => None,
        }
    }
}

impl Acl {
    /// Whether this ACL may call `endpoint` in `namespace`; the error is the 403 "Permission
    /// denied".
    pub fn check(&self, endpoint: JobsEndpoint, namespace: &str) -> Result<(), AclError> {
        let allowed = self.allow_any_of(namespace, endpoint.any_of())
            && endpoint
                .also_requires()
                .is_none_or(|c| self.allow_namespace_operation(namespace, c));
        if allowed {
            Ok(())
        } else {
            Err(AclError::PermissionDenied)
        }
    }

    /// The volume and plugin checks a registration makes on the job it stores: CSI volumes
    /// need plugin read and csi-mount-volume; host volumes need mount-readwrite on the
    /// source, or mount-readonly for a read-only volume; bidirectional mounts need
    /// mount-readwrite; CSI plugin tasks need csi-register-plugin. Any other volume type is
    /// refused, even with ACLs off, as in Nomad.
    pub fn check_job_volumes(&self, namespace: &str, job: &Job) -> Result<(), AclError> {
        use HostVolumeCapability::{MountReadOnly, MountReadWrite};
        for group in &job.task_groups {
            for volume in group.volumes.values() {
                let allowed = match volume.volume_type.as_str() {
                    volume_type::CSI => {
                        self.allow_plugin_read()
                            && self.allow_namespace_operation(namespace, Capability::CsiMountVolume)
                    }
                    volume_type::HOST => {
                        self.allow_host_volume_operation(&volume.source, MountReadWrite)
                            || (volume.read_only
                                && self.allow_host_volume_operation(&volume.source, MountReadOnly))
                    }
                    _ => false,
                };
                if !allowed {
                    return Err(AclError::PermissionDenied);
                }
            }
            for task in &group.tasks {
                for mount in &task.volume_mounts {
                    if mount.propagation_mode != "bidirectional" {
                        continue;
                    }
                    // Validation refuses mounts of undeclared volumes before this runs.
                    let writable = group.volumes.get(&mount.volume).is_some_and(|volume| {
                        self.allow_host_volume_operation(&volume.source, MountReadWrite)
                    });
                    if !writable {
                        return Err(AclError::PermissionDenied);
                    }
                }
                if task.csi_plugin_config.is_some()
                    && !self.allow_namespace_operation(namespace, Capability::CsiRegisterPlugin)
                {
                    return Err(AclError::PermissionDenied);
                }
            }
        }
        Ok(())
    }
}
