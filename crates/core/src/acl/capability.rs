//! Capability names as Nomad spells them, the `policy = "..."` shorthands and what they expand
//! to. Namespace and host-volume capabilities are enums because the compiled [`super::Acl`]
//! checks them; the other rule kinds are only validated and kept, so they stay strings.

/// Defines a capability enum whose variants carry Nomad's names. `Deny` must come first: the
/// compiled sets use bit 0 for it.
macro_rules! capabilities {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)*
        }

        impl $name {
            /// Every capability, in Nomad's declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Nomad's name, as written in policies.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == name)
            }

            pub(super) const fn bit(self) -> u64 {
                1 << (self as u32)
            }

            /// The set of the valid names among `names`, as bits.
            pub(super) fn bits(names: &[String]) -> u64 {
                names
                    .iter()
                    .filter_map(|name| Self::from_name(name))
                    .fold(0, |set, c| set | c.bit())
            }
        }
    };
}

capabilities! {
    /// A capability inside a `namespace` rule.
    Capability {
        Deny = "deny",
        ListJobs = "list-jobs",
        ParseJob = "parse-job",
        ReadJob = "read-job",
        SubmitJob = "submit-job",
        DispatchJob = "dispatch-job",
        ReadLogs = "read-logs",
        ReadFs = "read-fs",
        AllocExec = "alloc-exec",
        AllocNodeExec = "alloc-node-exec",
        AllocLifecycle = "alloc-lifecycle",
        SentinelOverride = "sentinel-override",
        CsiRegisterPlugin = "csi-register-plugin",
        CsiWriteVolume = "csi-write-volume",
        CsiReadVolume = "csi-read-volume",
        CsiListVolume = "csi-list-volume",
        CsiMountVolume = "csi-mount-volume",
        HostVolumeCreate = "host-volume-create",
        HostVolumeRegister = "host-volume-register",
        HostVolumeRead = "host-volume-read",
        HostVolumeWrite = "host-volume-write",
        HostVolumeDelete = "host-volume-delete",
        ListScalingPolicies = "list-scaling-policies",
        ReadScalingPolicy = "read-scaling-policy",
        ReadJobScaling = "read-job-scaling",
        ScaleJob = "scale-job",
        SubmitRecommendation = "submit-recommendation",
        RegisterJob = "register-job",
        RevertJob = "revert-job",
        DeregisterJob = "deregister-job",
        PurgeJob = "purge-job",
        EvaluateJob = "evaluate-job",
        PlanJob = "plan-job",
        TagJobVersion = "tag-job-version",
        StableJob = "stable-job",
        FailDeployment = "fail-deployment",
        PauseDeployment = "pause-deployment",
        PromoteDeployment = "promote-deployment",
        UnblockDeployment = "unblock-deployment",
        CancelDeployment = "cancel-deployment",
        SetAllocHealthDeployment = "set-alloc-health-deployment",
        GcAllocation = "gc-allocation",
        PauseAllocation = "pause-allocation",
        ForcePeriodicJob = "force-periodic-job",
        DeleteServiceRegistration = "delete-service-registration",
    }
}

capabilities! {
    /// A capability inside a `host_volume` rule.
    HostVolumeCapability {
        Deny = "deny",
        MountReadOnly = "mount-readonly",
        MountReadWrite = "mount-readwrite",
    }
}

/// The shorthand levels `policy = "..."` accepts in every rule kind but `plugin`.
pub(super) fn is_policy_level(policy: &str) -> bool {
    matches!(policy, "deny" | "read" | "write" | "scale")
}

/// `plugin` has a `list` level and no `scale`.
pub(super) fn is_plugin_level(policy: &str) -> bool {
    matches!(policy, "deny" | "read" | "list" | "write")
}

/// What a namespace `policy` grants. `write` is `read` plus the classic write capabilities; it
/// does not include the fine-grained job capabilities (register-job, ...), which endpoints
/// accept as alternatives to submit-job instead.
pub(super) fn expand_namespace_policy(policy: &str) -> impl Iterator<Item = Capability> {
    use Capability::*;
    const READ: &[Capability] = &[
        ListJobs,
        ParseJob,
        ReadJob,
        CsiListVolume,
        CsiReadVolume,
        ReadJobScaling,
        ListScalingPolicies,
        ReadScalingPolicy,
        HostVolumeRead,
    ];
    const WRITE_EXTRA: &[Capability] = &[
        ScaleJob,
        SubmitJob,
        DispatchJob,
        ReadLogs,
        ReadFs,
        AllocExec,
        AllocLifecycle,
        CsiMountVolume,
        CsiWriteVolume,
        SubmitRecommendation,
        HostVolumeCreate,
    ];
    const SCALE: &[Capability] = &[
        ListScalingPolicies,
        ReadScalingPolicy,
        ReadJobScaling,
        ScaleJob,
        ReadJob,
        SubmitRecommendation,
    ];
    let (base, extra): (&[Capability], &[Capability]) = match policy {
        "deny" => (&[Deny], &[]),
        "read" => (READ, &[]),
        "write" => (READ, WRITE_EXTRA),
        "scale" => (SCALE, &[]),
        _ => (&[], &[]),
    };
    base.iter().chain(extra).copied()
}

/// Host-volume capabilities that imply weaker ones.
pub(super) fn implied_namespace_capabilities(capability: Capability) -> &'static [Capability] {
    use Capability::*;
    match capability {
        HostVolumeWrite => &[
            HostVolumeRegister,
            HostVolumeCreate,
            HostVolumeDelete,
            HostVolumeRead,
        ],
        HostVolumeRegister => &[HostVolumeCreate, HostVolumeRead],
        HostVolumeCreate => &[HostVolumeRead],
        _ => &[],
    }
}

pub(super) fn expand_host_volume_policy(policy: &str) -> &'static [HostVolumeCapability] {
    use HostVolumeCapability::*;
    match policy {
        "deny" => &[Deny],
        "read" => &[MountReadOnly],
        "write" => &[MountReadOnly, MountReadWrite],
        _ => &[],
    }
}

/// A rule kind that is validated and kept but never checked: its capabilities and what the
/// `read` and `write` levels grant (`deny` grants "deny", `scale` nothing).
#[derive(Debug)]
pub(super) struct KeptKind {
    pub capabilities: &'static [&'static str],
    read: &'static [&'static str],
    write: &'static [&'static str],
}

impl KeptKind {
    pub(super) fn expand(&self, policy: &str) -> &'static [&'static str] {
        match policy {
            "deny" => &["deny"],
            "read" => self.read,
            "write" => self.write,
            _ => &[],
        }
    }
}

pub(super) const NODE_POOL: KeptKind = KeptKind {
    capabilities: &["delete", "deny", "read", "write"],
    read: &["read"],
    write: &["delete", "read", "write"],
};

pub(super) const OPERATOR: KeptKind = KeptKind {
    capabilities: &[
        "deny",
        "snapshot-save",
        "license-read",
        "keyring-rotate",
        "keyring-read",
        "keyring-delete",
    ],
    read: &["license-read", "keyring-read"],
    write: &[
        "snapshot-save",
        "license-read",
        "keyring-rotate",
        "keyring-read",
        "keyring-delete",
    ],
};

pub(super) const SENTINEL: KeptKind = KeptKind {
    capabilities: &[
        "deny",
        "sentinel-read",
        "sentinel-submit",
        "sentinel-delete",
    ],
    read: &["sentinel-read"],
    write: &["sentinel-read", "sentinel-submit", "sentinel-delete"],
};

pub(super) const VARIABLES_CAPABILITIES: &[&str] = &["list", "read", "write", "destroy", "deny"];

/// A variables path rule: `deny` alone wins, and `read` implies `list`.
pub(super) fn expand_variables_capabilities(capabilities: &mut Vec<String>) {
    if capabilities.iter().any(|c| c == "deny") {
        *capabilities = vec!["deny".to_owned()];
    } else if capabilities.iter().any(|c| c == "read") && !capabilities.iter().any(|c| c == "list")
    {
        capabilities.push("list".to_owned());
    }
}
