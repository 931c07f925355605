//! The compiled [`Acl`]: every policy of a token merged into capability sets per namespace and
//! per host volume, exact names apart from globs, and the questions endpoints ask of it.

use std::collections::{BTreeMap, BTreeSet};

use super::capability::{Capability, HostVolumeCapability};
use super::policy::Policy;

/// What a request may do. Built by [`Acl::compile`] from a token's policies, or one of the two
/// bypasses that allow everything: a management token, or ACLs switched off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    /// Set for the bypasses.
    allow_all: bool,
    namespaces: Rules,
    host_volumes: Rules,
    /// The strongest `plugin` level of all policies.
    plugin: PluginLevel,
}

/// The namespaces a token may see, for listings across `namespace=*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceSet {
    All,
    Only(BTreeSet<String>),
}

impl NamespaceSet {
    pub fn contains(&self, namespace: &str) -> bool {
        match self {
            NamespaceSet::All => true,
            NamespaceSet::Only(set) => set.contains(namespace),
        }
    }
}

/// The same bit means deny in both capability kinds.
const DENY: u64 = Capability::Deny.bit();
const _: () = assert!(DENY == HostVolumeCapability::Deny.bit());

/// Capability sets (bit masks) by rule name; names with `*` are globs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Rules {
    exact: BTreeMap<String, u64>,
    /// In byte order, the order Nomad's radix tree walks them in.
    globs: BTreeMap<String, u64>,
}

impl Rules {
    /// Unions `granted` into the rule's set, except that deny clears the set and locks it.
    fn add(&mut self, name: &str, granted: u64) {
        let rules = if name.contains('*') {
            &mut self.globs
        } else {
            &mut self.exact
        };
        let set = rules.entry(name.to_owned()).or_default();
        if *set & DENY != 0 {
            return;
        }
        *set = if granted & DENY != 0 {
            DENY
        } else {
            *set | granted
        };
    }

    /// The exact rule for `name`, else the closest matching glob: the smallest
    /// `len(name) - len(glob) + count('*')`. Nomad sorts matches with a non-strict
    /// comparator, which leaves the last of equally close globs (in byte order) first.
    fn matching(&self, name: &str) -> Option<u64> {
        if let Some(set) = self.exact.get(name) {
            return Some(*set);
        }
        let mut best: Option<(usize, u64)> = None;
        for (glob, set) in &self.globs {
            if !glob_matches(glob, name) {
                continue;
            }
            // A glob that matches is at most one byte per non-star longer than the name, so
            // adding the stars before subtracting keeps this from going negative.
            let difference = name.len() + glob.matches('*').count() - glob.len();
            if best.is_none_or(|(closest, _)| difference <= closest) {
                best = Some((difference, *set));
            }
        }
        best.map(|(_, set)| set)
    }

    fn any(&self, grants: impl Fn(u64) -> bool) -> bool {
        self.exact
            .values()
            .chain(self.globs.values())
            .any(|set| grants(*set))
    }
}

/// `*` matches any run of bytes, the empty one included; nothing else is special.
fn glob_matches(glob: &str, name: &str) -> bool {
    let Some((head, tail)) = glob.split_once('*') else {
        return glob == name;
    };
    let Some(mut rest) = name.strip_prefix(head) else {
        return false;
    };
    let (middle, last) = tail.rsplit_once('*').unwrap_or(("", tail));
    for part in middle.split('*') {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// A `plugin` rule's level, weakest first: merging policies keeps the maximum, as Nomad's
/// `maxPrivilege` does (deny beats write beats read beats list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum PluginLevel {
    #[default]
    None,
    List,
    Read,
    Write,
    Deny,
}

impl PluginLevel {
    fn of(policy: &str) -> PluginLevel {
        match policy {
            "list" => PluginLevel::List,
            "read" => PluginLevel::Read,
            "write" => PluginLevel::Write,
            "deny" => PluginLevel::Deny,
            _ => PluginLevel::None,
        }
    }
}

impl Acl {
    /// A management token's ACL: everything is allowed.
    pub fn management() -> Acl {
        Acl {
            allow_all: true,
            ..Acl::default()
        }
    }

    /// The ACL every request gets while ACLs are switched off: everything is allowed.
    pub fn acls_disabled() -> Acl {
        Acl::management()
    }

    /// Merges a token's policies. Capabilities for the same namespace (or host volume) name
    /// are unioned across policies, but a deny anywhere wins.
    pub fn compile<'a>(policies: impl IntoIterator<Item = &'a Policy>) -> Acl {
        let mut acl = Acl::default();
        for policy in policies {
            for rule in &policy.namespaces {
                let granted = Capability::bits(&rule.capabilities);
                acl.namespaces.add(&rule.name, granted);
            }
            for rule in &policy.host_volumes {
                let granted = HostVolumeCapability::bits(&rule.capabilities);
                acl.host_volumes.add(&rule.name, granted);
            }
            if let Some(plugin) = &policy.plugin {
                acl.plugin = acl.plugin.max(PluginLevel::of(&plugin.policy));
            }
        }
        acl
    }

    /// True for management tokens and while ACLs are off (Nomad's `IsManagement`).
    pub fn is_management(&self) -> bool {
        self.allow_all
    }

    /// Whether `capability` is granted in `namespace`. The namespace `*` asks whether any
    /// namespace rule grants it, as listings across all namespaces do before filtering.
    pub fn allow_namespace_operation(&self, namespace: &str, capability: Capability) -> bool {
        if self.allow_all {
            return true;
        }
        let bit = capability.bit();
        if namespace == "*" && self.namespaces.any(|set| set & bit != 0) {
            return true;
        }
        self.namespaces
            .matching(namespace)
            .is_some_and(|set| set & bit != 0)
    }

    /// Whether any one of `capabilities` is granted in `namespace`.
    pub fn allow_any_of(&self, namespace: &str, capabilities: &[Capability]) -> bool {
        capabilities
            .iter()
            .any(|c| self.allow_namespace_operation(namespace, *c))
    }

    /// Whether anything at all is allowed in `namespace` (Nomad's `AllowNamespace`, what the
    /// namespace endpoints check).
    pub fn allow_namespace(&self, namespace: &str) -> bool {
        if self.allow_all {
            return true;
        }
        let grants_something = |set: u64| set != 0 && set & DENY == 0;
        if namespace == "*" && self.namespaces.any(grants_something) {
            return true;
        }
        self.namespaces
            .matching(namespace)
            .is_some_and(grants_something)
    }

    /// The namespaces among `existing` where `capability` is granted: what a listing across
    /// `namespace=*` may show. Management tokens and disabled ACLs see all of them.
    pub fn allowed_namespaces<'a>(
        &self,
        capability: Capability,
        existing: impl Iterator<Item = &'a str>,
    ) -> NamespaceSet {
        if self.allow_all {
            return NamespaceSet::All;
        }
        NamespaceSet::Only(
            existing
                .filter(|ns| self.allow_namespace_operation(ns, capability))
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Whether `capability` is granted on the host volume named `volume`.
    pub fn allow_host_volume_operation(
        &self,
        volume: &str,
        capability: HostVolumeCapability,
    ) -> bool {
        self.allow_all
            || self
                .host_volumes
                .matching(volume)
                .is_some_and(|set| set & capability.bit() != 0)
    }

    /// Nomad's `AllowPluginRead`: only the `read` level counts (`write` does not include it).
    pub fn allow_plugin_read(&self) -> bool {
        self.allow_all || self.plugin == PluginLevel::Read
    }
}
