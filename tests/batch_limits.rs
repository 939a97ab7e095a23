//! `rcodex batch` limits through the real binary: a scenario over its `timeout_s`,
//! `max_requests` or `max_tokens` is interrupted and says which limit stopped it; a run budget
//! (`--max-tokens`, `--max-cost`) stops new scenarios and resumes later; infrastructure failures
//! are `error` rows that `--retry-errors` runs again; tokens, cost and time to first token are
//! accounted in results.jsonl, the summary and JUnit; bad values are refused with their place.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn batch(args: &[&str], cwd: &Path) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .arg("batch")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex batch")
}

fn results(out: &Path) -> Vec<Value> {
    rcodex_tests::json_lines(&std::fs::read_to_string(out.join("results.jsonl")).unwrap())
}

fn row<'a>(lines: &'a [Value], id: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no row {id} in {lines:?}"))
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A temp folder with `sc/` (scenarios) and `out/`.
struct Fixture {
    tmp: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("sc")).unwrap();
        Fixture { tmp }
    }
    fn sc(&self) -> PathBuf {
        self.tmp.path().join("sc")
    }
    fn out(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
    fn scenario(&self, name: &str, text: &str) {
        std::fs::write(self.sc().join(format!("{name}.toml")), text).unwrap();
    }
    fn run(&self, out: &str, extra: &[&str]) -> Output {
        let out = self.out(out);
        let mut args = vec![
            self.sc().to_str().unwrap().to_string(),
            "--out".into(),
            out.to_str().unwrap().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        batch(&args, self.tmp.path())
    }
}

#[test]
fn a_reply_slower_than_timeout_s_is_a_timeout_row() {
    let f = Fixture::new();
    f.scenario(
        "slow",
        "name = \"slow\"\nprompt = \"p\"\ntimeout_s = 0.5\n[[model.reply]]\nmessage = \"late\"\ndelay_ms = 5000\n[expect]\nfinal_message = \"late\"\n",
    );
    f.scenario(
        "quick",
        "name = \"quick\"\nprompt = \"p\"\ntimeout_s = 30\n[[model.reply]]\nmessage = \"ok\"\n[expect]\nfinal_message = \"ok\"\n",
    );
    let o = f.run("out", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    let slow = row(&lines, "slow");
    assert_eq!(slow["status"], "timeout", "{slow}");
    assert_eq!(slow["limit"], "timeout_s");
    assert!(slow["error"].as_str().unwrap().contains("timeout_s = 0.5"));
    // Interrupted at the deadline, not after the reply's 5 s.
    assert!(slow["duration_ms"].as_u64().unwrap() < 4000, "{slow}");
    assert_eq!(row(&lines, "quick")["status"], "pass");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("TIMEOUT"), "{stdout}");
    let junit = std::fs::read_to_string(f.out("out").join("junit.xml")).unwrap();
    assert!(junit.contains("<failure type=\"timeout\""), "{junit}");
}

#[test]
fn a_run_over_max_requests_is_interrupted_and_fails_naming_the_limit() {
    let f = Fixture::new();
    // The model would call a tool forever; two requests are allowed.
    f.scenario(
        "loop",
        "name = \"loop\"\nprompt = \"p\"\nmax_requests = 2\n[[model.reply]]\nfunction_call = { name = \"exec_command\", arguments = { cmd = \"true\", login = false } }\nrepeat = 10\n[[model.reply]]\nmessage = \"done\"\n",
    );
    let o = f.run("out", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    let l = row(&lines, "loop");
    assert_eq!(l["status"], "fail", "{l}");
    assert_eq!(l["limit"], "max_requests");
    assert_eq!(l["checks"][0]["check"], "max_requests");
    assert_eq!(l["checks"][0]["passed"], false);
    // The third request was started (that is what trips the limit) and then cancelled.
    assert_eq!(l["requests"], 3, "{l}");
}

#[test]
fn bad_limit_values_are_error_rows_naming_file_line_and_field() {
    let f = Fixture::new();
    f.scenario(
        "t_string",
        "name = \"x\"\nprompt = \"p\"\ntimeout_s = \"x\"\n",
    );
    f.scenario("t_zero", "name = \"x\"\nprompt = \"p\"\n\ntimeout_s = 0\n");
    f.scenario(
        "r_negative",
        "name = \"x\"\nprompt = \"p\"\nmax_requests = -1\n",
    );
    f.scenario("k_zero", "name = \"x\"\nprompt = \"p\"\nmax_tokens = 0\n");
    let o = f.run("out", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    let err = |id: &str| {
        let l = row(&lines, id);
        assert_eq!(l["status"], "error", "{l}");
        l["error"].as_str().unwrap().to_string()
    };
    let e = err("t_string");
    assert!(
        e.contains("t_string.toml:3: timeout_s: invalid type: string"),
        "{e}"
    );
    let e = err("t_zero");
    assert!(
        e.contains("t_zero.toml:4: timeout_s: must be a number of seconds above 0"),
        "{e}"
    );
    let e = err("r_negative");
    assert!(
        e.contains("r_negative.toml:3: max_requests: invalid value"),
        "{e}"
    );
    let e = err("k_zero");
    assert!(e.contains("k_zero.toml:3: max_tokens:"), "{e}");
}
