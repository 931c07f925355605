//! drover-broker (under construction).
