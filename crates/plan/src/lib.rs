//! drover-plan (under construction).
