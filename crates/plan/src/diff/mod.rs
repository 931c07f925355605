//! Nomad-compatible job diffs (under construction).
