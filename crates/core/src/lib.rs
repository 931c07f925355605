//! drover-core (under construction).
