//! drover-jobspec (under construction).
