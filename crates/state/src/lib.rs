//! drover-state (under construction).
