//! The reconciler (under construction).
