//! drover-model (under construction).
