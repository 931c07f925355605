//! drover-jobspec: HCL2 Nomad jobspecs to drover's job model.

mod duration;
mod error;
mod eval;
mod funcs;
mod types;
mod value;

pub use error::{Diagnostic, JobspecError, Pos};
