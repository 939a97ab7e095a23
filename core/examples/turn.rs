//! Drives one scripted turn through the core machine (filled in with the session machine).
fn main() {}
