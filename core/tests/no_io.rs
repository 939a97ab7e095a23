//! The core stays pure: no async runtime or HTTP crate in its dependencies, and no file, network,
//! process, clock or randomness calls in its source.

use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn core_has_no_io_dependencies() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let deps: toml_lite::Deps = toml_lite::dependencies(&manifest);
    for banned in [
        "tokio",
        "reqwest",
        "hyper",
        "mio",
        "async-std",
        "rand",
        "getrandom",
        "chrono",
        "uuid",
    ] {
        assert!(!deps.contains(banned), "core depends on {banned}");
    }
}

#[test]
fn core_source_makes_no_io_calls() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10);
    let banned = [
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "Instant::now",
        "SystemTime::now",
        "thread::sleep",
        "std::thread",
        "rand::",
        "tokio",
        "std::io::stdin",
        "println!",
        "eprintln!",
    ];
    for (path, text) in &files {
        for b in banned {
            assert!(!text.contains(b), "{path} uses {b}");
        }
    }
}

/// Just enough TOML reading to list the names under `[dependencies]`.
mod toml_lite {
    pub struct Deps(Vec<String>);

    impl Deps {
        pub fn contains(&self, name: &str) -> bool {
            self.0.iter().any(|d| d == name)
        }
    }

    pub fn dependencies(manifest: &str) -> Deps {
        let mut in_deps = false;
        let mut out = Vec::new();
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_deps = line == "[dependencies]";
                continue;
            }
            if in_deps {
                if let Some((name, _)) = line.split_once('=') {
                    out.push(name.trim().to_string());
                }
            }
        }
        assert!(!out.is_empty(), "no [dependencies] found");
        Deps(out)
    }
}
