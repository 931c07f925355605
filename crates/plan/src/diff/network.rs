//! Networks of a group or of a task's resources, with their ports, DNS and CNI settings.

use drover_model::{Dns, NetworkResource, Port};
use serde_json::Value;

use super::flat::{Flat, flat_diffs, scalar_val};
use super::objects::{block_diff, keyed_diffs, list, object, presence, primitive_object_diff};
use super::text::Text;
use super::types::{ObjectDiff, sort_objects};

/// Networks have no identity: Nomad keys them by a hash of their whole content, so a network
/// that changed at all is one Deleted plus one Added object, never Edited.
pub(crate) fn network_diffs(
    old: &[NetworkResource],
    new: &[NetworkResource],
    contextual: bool,
) -> Vec<ObjectDiff> {
    if old == new {
        return Vec::new();
    }
    // Equal networks on one side collapse into one, as in Nomad's hash set.
    let distinct = |list: &[NetworkResource], i: usize| !list[..i].contains(&list[i]);
    let mut out = Vec::new();
    for (i, o) in old.iter().enumerate() {
        if distinct(old, i) && !new.contains(o) {
            out.extend(network_diff(Some(o), None, contextual));
        }
    }
    for (i, n) in new.iter().enumerate() {
        if distinct(new, i) && !old.contains(n) {
            out.extend(network_diff(None, Some(n), contextual));
        }
    }
    sort_objects(&mut out);
    out
}

fn network_diff(
    old: Option<&NetworkResource>,
    new: Option<&NetworkResource>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let mut diff = block_diff("Network", old, new, contextual)?;
    diff.objects = port_diffs(
        list(old, |n| &n.reserved_ports),
        list(new, |n| &n.reserved_ports),
        false,
        contextual,
    );
    diff.objects.extend(port_diffs(
        list(old, |n| &n.dynamic_ports),
        list(new, |n| &n.dynamic_ports),
        true,
        contextual,
    ));
    diff.objects.extend(dns_diff(
        old.and_then(|n| n.dns.as_ref()),
        new.and_then(|n| n.dns.as_ref()),
        contextual,
    ));
    diff.objects.extend(cni_diff(
        old.and_then(|n| n.cni.as_ref()),
        new.and_then(|n| n.cni.as_ref()),
        contextual,
    ));
    Some(diff)
}

/// Ports keyed by label. A dynamic port's Value is assigned at placement and its
/// IgnoreCollision does not apply, so Nomad leaves both out.
fn port_diffs(old: &[Port], new: &[Port], dynamic: bool, contextual: bool) -> Vec<ObjectDiff> {
    let name = if dynamic {
        "Dynamic Port"
    } else {
        "Static Port"
    };
    keyed_diffs(
        old,
        new,
        |p| p.label.as_str(),
        |o, n| {
            let fields = flat_diffs(port_flat(o, dynamic), port_flat(n, dynamic), contextual);
            primitive_object_diff(name, fields)
        },
    )
}

fn port_flat(port: Option<&Port>, dynamic: bool) -> Flat<'_> {
    let mut f = Flat::default();
    if let Some(p) = port {
        f.put("HostNetwork", &p.host_network);
        if !dynamic {
            f.put("IgnoreCollision", p.ignore_collision);
        }
        f.put("Label", &p.label);
        f.put("To", p.to);
        if !dynamic {
            f.put("Value", p.value);
        }
    }
    f
}

/// Each DNS list is one field, comma-joined, present only when non-empty.
fn dns_diff(old: Option<&Dns>, new: Option<&Dns>, contextual: bool) -> Option<ObjectDiff> {
    let diff_type = presence(old, new)?;
    Some(object(
        "DNS",
        diff_type,
        flat_diffs(dns_flat(old), dns_flat(new), contextual),
    ))
}

fn dns_flat(dns: Option<&Dns>) -> Flat<'_> {
    let mut f = Flat::default();
    if let Some(d) = dns {
        for (name, list) in [
            ("Options", &d.options),
            ("Searches", &d.searches),
            ("Servers", &d.servers),
        ] {
            if !list.is_empty() {
                f.put(name, list.join(","));
            }
        }
    }
    f
}

/// The CNI args, one field per key, typed by its fields.
fn cni_diff(old: Option<&Value>, new: Option<&Value>, contextual: bool) -> Option<ObjectDiff> {
    let fields = flat_diffs(cni_args(old), cni_args(new), contextual);
    primitive_object_diff("CNIConfig", fields)
}

fn cni_args(cni: Option<&Value>) -> Flat<'_> {
    let mut f = Flat::default();
    let args = cni.and_then(|c| c.get("Args")).and_then(Value::as_object);
    for (k, v) in args.into_iter().flatten() {
        f.put(Text::copy(k), scalar_val(v));
    }
    f
}
