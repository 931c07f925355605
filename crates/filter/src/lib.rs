//! drover-filter (under construction).
