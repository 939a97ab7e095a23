//! `rcodex schema`: prints (or writes) the JSON Schema of an output that scripts parse, so a CI
//! job can validate what it reads against the schema of the rcodex it runs. The schemas document
//! every field; they only ever grow (additive fields, new event or item types).

pub mod catalog;

use std::path::PathBuf;

use clap::Args;

pub use catalog::SchemaKind;

/// `rcodex schema [KIND] [--out DIR]`.
#[derive(Debug, Args, Clone)]
pub struct SchemaArgs {
    /// Which output: `events` (exec --json), `results` (batch results.jsonl), `replay`
    /// (replay --json), `replay-diff` (replay diff --json). Required unless --out is given
    /// (then every schema is written).
    #[arg(value_enum, required_unless_present = "out")]
    pub kind: Option<SchemaKind>,
    /// Write KIND.schema.json (every schema without KIND) into DIR instead of printing.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Runs the subcommand; the exit status (0, or 2 when --out cannot be written).
pub fn run_schema(args: SchemaArgs) -> i32 {
    let Some(dir) = args.out else {
        // `required_unless_present` makes a kind present here.
        let kind = args.kind.unwrap_or(SchemaKind::Events);
        print!("{}", kind.text());
        return 0;
    };
    let kinds = match args.kind {
        Some(kind) => vec![kind],
        None => SchemaKind::ALL.to_vec(),
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("error: {}: {e}", dir.display());
        return 2;
    }
    for kind in kinds {
        let path = dir.join(kind.file_name());
        if let Err(e) = std::fs::write(&path, kind.text()) {
            eprintln!("error: {}: {e}", path.display());
            return 2;
        }
        println!("{}", path.display());
    }
    0
}
