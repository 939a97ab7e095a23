//! `rcodex batch`: runs a folder of prompt scenarios headless, many at once in one process.

pub mod expect;
pub mod scenario;
