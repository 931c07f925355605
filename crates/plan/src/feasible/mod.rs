//! Feasibility, ranking and node selection (under construction).
