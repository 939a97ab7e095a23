//! The CI examples under `examples/` run as written: the GitHub Actions workflow's matrix and the
//! Kubernetes Indexed Job are read from their YAML, their shard and merge commands are run with
//! the real binary exactly as the engines would run them (the shell, the substituted expressions,
//! the artifact and volume hand-over), and the merged results must cover every bundled scenario
//! once. A change to those files that breaks sharding or merging fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use serde_norway::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every document of a multi-document YAML file.
fn yaml_documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| {
            serde::Deserialize::deserialize(doc)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect()
}

fn str_at<'a>(v: &'a Value, keys: &[&str]) -> &'a str {
    at(v, keys)
        .as_str()
        .unwrap_or_else(|| panic!("{keys:?} is not a string"))
}

fn at<'a>(v: &'a Value, keys: &[&str]) -> &'a Value {
    keys.iter().fold(v, |v, k| {
        v.get(k)
            .unwrap_or_else(|| panic!("missing `{k}` (path {keys:?})"))
    })
}

/// PATH with the rcodex binary's folder first, as the workflow's build step and the image do.
fn path_with_rcodex() -> String {
    let bin = rcodex_tests::rcodex_bin();
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// How many bundled scenarios there are (one `.toml` file each).
fn bundled_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .map(|p| {
            if p.is_dir() {
                bundled_count(&p)
            } else {
                usize::from(p.extension().is_some_and(|e| e == "toml"))
            }
        })
        .sum()
}

fn ids_in(results: &Path) -> Vec<String> {
    let text =
        std::fs::read_to_string(results).unwrap_or_else(|e| panic!("{}: {e}", results.display()));
    rcodex_tests::json_lines(&text)
        .iter()
        .map(|l: &Json| l["id"].as_str().unwrap().to_string())
        .collect()
}

/// `ids` has no repeats and one id per bundled scenario; returns them as a set.
fn assert_covers_once(ids: &[String], what: &str) -> BTreeSet<String> {
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "{what}: a scenario appears twice");
    let n = bundled_count(&repo().join("scenarios"));
    assert!(n >= 15, "{n} bundled scenarios");
    assert_eq!(set.len(), n, "{what}: {set:?}");
    set
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ---- GitHub Actions ----

/// `${{ ... }}` expressions replaced by their values; any other expression fails the test.
fn substitute(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed ${{") + start;
        let expr = rest[start + 3..end].trim();
        let value = values
            .get(expr)
            .unwrap_or_else(|| panic!("the test does not know the expression `{expr}`"));
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn steps(job: &Value) -> &Vec<Value> {
    at(job, &["steps"]).as_sequence().expect("steps")
}

fn step_with_id<'a>(job: &'a Value, id: &str) -> &'a Value {
    steps(job)
        .iter()
        .find(|s| s.get("id").and_then(Value::as_str) == Some(id))
        .unwrap_or_else(|| panic!("no step with id `{id}`"))
}

fn step_using<'a>(job: &'a Value, action: &str) -> &'a Value {
    steps(job)
        .iter()
        .find(|s| {
            s.get("uses")
                .and_then(Value::as_str)
                .is_some_and(|u| u.starts_with(&format!("{action}@")))
        })
        .unwrap_or_else(|| panic!("no step uses {action}"))
}

/// Runs a `run:` script the way GitHub's default bash shell does, in `dir`.
fn run_step(script: &str, dir: &Path) -> std::process::Output {
    Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path_with_rcodex())
        .output()
        .unwrap()
}

/// `name` matches a download-artifact `pattern` (a literal with at most one `*`).
fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((head, tail)) => {
            assert!(!tail.contains('*'), "pattern {pattern}: one `*` at most");
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
        None => pattern == name,
    }
}

#[test]
fn github_actions_shards_and_merge_cover_every_scenario_once() {
    let tmp = tempfile::tempdir().unwrap();
    let workflow = yaml(&repo().join("examples/github-actions/rcodex-batch.yml"));
    let jobs = at(&workflow, &["jobs"]);
    let shard_job = at(jobs, &["shard"]);
    let merge_job = at(jobs, &["merge"]);
    assert_eq!(str_at(merge_job, &["needs"]), "shard");
    assert_eq!(
        at(shard_job, &["strategy", "fail-fast"]).as_bool(),
        Some(false),
        "every shard must run for the merge to be complete"
    );
    let matrix: Vec<u64> = at(shard_job, &["strategy", "matrix", "shard"])
        .as_sequence()
        .expect("matrix.shard is a list")
        .iter()
        .map(|v| v.as_u64().expect("shard numbers"))
        .collect();
    let n = matrix.len();
    assert!(n >= 2, "a matrix of {n}");
    assert_eq!(
        matrix,
        (1..=n as u64).collect::<Vec<_>>(),
        "shards are 1..=n"
    );

    // Each matrix job: checkout (the scenarios), the shard step, the upload.
    let artifacts = tmp.path().join("artifacts");
    let mut shard_ids = Vec::new();
    for i in 1..=n {
        let values = BTreeMap::from([
            ("matrix.shard", i.to_string()),
            ("strategy.job-total", n.to_string()),
        ]);
        let workspace = tmp.path().join(format!("shard-job-{i}"));
        std::fs::create_dir_all(&workspace).unwrap();
        std::os::unix::fs::symlink(repo().join("scenarios"), workspace.join("scenarios")).unwrap();
        let script = substitute(str_at(step_with_id(shard_job, "shard"), &["run"]), &values);
        let o = run_step(&script, &workspace);
        assert!(o.status.success(), "shard {i}: {o:?}");
        let upload = step_using(shard_job, "actions/upload-artifact");
        let name = substitute(str_at(upload, &["with", "name"]), &values);
        let path = substitute(str_at(upload, &["with", "path"]), &values);
        shard_ids.extend(ids_in(&workspace.join(&path).join("results.jsonl")));
        copy_dir(&workspace.join(&path), &artifacts.join(name));
    }
    let expected = assert_covers_once(&shard_ids, "the shards together");

    // The merge job: download (one folder per artifact), the merge step, the JUnit report.
    let workspace = tmp.path().join("merge-job");
    let download = step_using(merge_job, "actions/download-artifact");
    assert_ne!(
        download["with"]
            .get("merge-multiple")
            .and_then(Value::as_bool),
        Some(true),
        "the merge step expects one folder per artifact"
    );
    let pattern = str_at(download, &["with", "pattern"]);
    let into = workspace.join(str_at(download, &["with", "path"]));
    for entry in std::fs::read_dir(&artifacts).unwrap().flatten() {
        let name = entry.file_name().into_string().unwrap();
        if glob_match(pattern, &name) {
            copy_dir(&entry.path(), &into.join(&name));
        }
    }
    let script = substitute(
        str_at(step_with_id(merge_job, "merge"), &["run"]),
        &BTreeMap::new(),
    );
    let o = run_step(&script, &workspace);
    assert!(o.status.success(), "merge: {o:?}");
    let junit = step_using(merge_job, "mikepenz/action-junit-report");
    let report = workspace.join(str_at(junit, &["with", "report_paths"]));
    let xml =
        std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    assert_eq!(xml.matches("<testcase ").count(), expected.len(), "{xml}");
    let merged_dir = report.parent().unwrap();
    let merged = assert_covers_once(&ids_in(&merged_dir.join("results.jsonl")), "merged");
    assert_eq!(merged, expected);
}

// ---- Kubernetes ----

fn container(job: &Value) -> &Value {
    &at(job, &["spec", "template", "spec", "containers"])
        .as_sequence()
        .expect("containers")[0]
}

fn container_env(c: &Value) -> BTreeMap<String, String> {
    at(c, &["env"])
        .as_sequence()
        .expect("env list")
        .iter()
        .filter_map(|e| {
            Some((
                str_at(e, &["name"]).to_string(),
                e.get("value")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

fn argv(c: &Value) -> Vec<String> {
    let strings = |key: &str| -> Vec<String> {
        c.get(key)
            .and_then(Value::as_sequence)
            .map(|s| {
                s.iter()
                    .map(|v| v.as_str().expect("string").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut argv = strings("command");
    argv.extend(strings("args"));
    assert!(!argv.is_empty(), "container has no command");
    argv
}

/// The mount path of the volume backed by `claim`.
fn claim_mount(job: &Value, claim: &str) -> String {
    let pod = at(job, &["spec", "template", "spec"]);
    let volume = at(pod, &["volumes"])
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| {
            v.get("persistentVolumeClaim")
                .and_then(|p| p.get("claimName"))
                .and_then(Value::as_str)
                == Some(claim)
        })
        .unwrap_or_else(|| panic!("no volume for claim {claim}"));
    let name = str_at(volume, &["name"]);
    at(container(job), &["volumeMounts"])
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| str_at(m, &["name"]) == name)
        .map(|m| str_at(m, &["mountPath"]).to_string())
        .unwrap_or_else(|| panic!("volume {name} is not mounted"))
}

/// Runs a container's command as the pod would, with the results volume at `volume`, the
/// image's scenarios replaced by the repository's, and `extra` variables (the index).
fn run_container(
    job: &Value,
    claim: &str,
    volume: &Path,
    extra: &[(&str, String)],
) -> std::process::Output {
    let c = container(job);
    let mut env = container_env(c);
    let results = env.get("RESULTS").expect("RESULTS in env").clone();
    assert_eq!(
        results,
        claim_mount(job, claim),
        "RESULTS must be where the results volume is mounted"
    );
    env.insert("RESULTS".into(), volume.display().to_string());
    if env.contains_key("SCENARIOS") {
        env.insert(
            "SCENARIOS".into(),
            repo().join("scenarios").display().to_string(),
        );
    }
    let argv = argv(c);
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .envs(env)
        .env("PATH", path_with_rcodex());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn kubernetes_indexed_job_and_merge_cover_every_scenario_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo().join("examples/kubernetes");
    let docs = yaml_documents(&dir.join("rcodex-batch-job.yaml"));
    let claim = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("PersistentVolumeClaim"))
        .map(|d| str_at(d, &["metadata", "name"]).to_string())
        .expect("a PersistentVolumeClaim for the results");
    let job = docs
        .iter()
        .find(|d| {
            d["kind"].as_str() == Some("Job")
                && d["spec"]["completionMode"].as_str() == Some("Indexed")
        })
        .expect("an Indexed Job");
    let n = at(job, &["spec", "completions"])
        .as_u64()
        .expect("completions") as usize;
    assert!(n >= 2, "{n} completions");
    assert_eq!(
        container_env(container(job)).get("SHARDS"),
        Some(&n.to_string()),
        "SHARDS must equal completions"
    );

    let volume = tmp.path().join("volume");
    std::fs::create_dir_all(&volume).unwrap();
    for index in 0..n {
        let o = run_container(
            job,
            &claim,
            &volume,
            &[("JOB_COMPLETION_INDEX", index.to_string())],
        );
        assert!(o.status.success(), "index {index}: {o:?}");
    }
    let mut shard_ids = Vec::new();
    for entry in std::fs::read_dir(&volume).unwrap().flatten() {
        shard_ids.extend(ids_in(&entry.path().join("results.jsonl")));
    }
    let expected = assert_covers_once(&shard_ids, "the indexes together");

    let merge = yaml_documents(&dir.join("rcodex-batch-merge.yaml"))
        .into_iter()
        .find(|d| d["kind"].as_str() == Some("Job"))
        .expect("a merge Job");
    let before = folders(&volume);
    let o = run_container(&merge, &claim, &volume, &[]);
    assert!(o.status.success(), "merge: {o:?}");
    let new: Vec<PathBuf> = folders(&volume).difference(&before).cloned().collect();
    assert_eq!(
        new.len(),
        1,
        "the merge writes one folder on the volume: {new:?}"
    );
    assert!(new[0].join("junit.xml").exists());
    let merged = assert_covers_once(&ids_in(&new[0].join("results.jsonl")), "merged");
    assert_eq!(merged, expected);
}

fn folders(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect()
}
