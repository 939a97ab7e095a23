//! The `rcodex` binary.

fn main() {
    println!("rcodex {}", env!("CARGO_PKG_VERSION"));
}
