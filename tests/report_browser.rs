//! The report pages drawn in a real browser: headless Chromium (Debian's `chromium`; `.ci/run`
//! installs it) opens each page from `file://`, and the page writes what it drew and every
//! error into `#report-selfcheck`, read back with `--dump-dom`. Checked: no console message
//! and no error, every scenario id on the page, filters in the URL hash hide rows, opened rows
//! draw their details (patches as diffs), the session and comparison views, the first replay
//! divergence marked, and screenshots at desktop and phone widths that are not blank. Without
//! Chromium these tests fail saying how to install it; they never pass without it.

mod report_fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use report_fixtures::*;
use serde_json::Value;

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "{} is missing: these tests need headless Chromium (Debian: `apt-get install -y chromium`, \
         which .ci/run does; or set CHROMIUM to its path)",
        path.display()
    );
    path
}

/// Runs headless Chromium on `args` + `url` with its own profile, stopped (by its process id)
/// after a minute; returns stdout and the console messages it logged.
fn browse(args: &[&str], url: &str) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let read_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().ok();
            child.wait().ok();
            panic!("chromium did not finish {url} in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let console = read_err
        .join()
        .unwrap()
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    (read_out.join().unwrap(), console)
}

/// What the page drew: its DOM after load and its self-check.
struct Drawn {
    dom: String,
    check: Value,
}

fn draw(page: &Path, hash: &str) -> Drawn {
    let url = format!("file://{}{hash}", page.display());
    let (dom, console) = browse(&["--dump-dom"], &url);
    assert!(console.is_empty(), "{url}: console: {console:#?}");
    let open = "<pre id=\"report-selfcheck\" hidden=\"\">";
    let start = dom
        .find(open)
        .unwrap_or_else(|| panic!("{url}: no self-check: the script did not finish\n{dom}"))
        + open.len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let raw = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let check: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(check["errors"], serde_json::json!([]), "{url}: {check}");
    Drawn { dom, check }
}

/// Takes a screenshot of `page` at `width`x`height` and checks it is not blank: the right size,
/// many colours, and a spread of brightness a blank or single-colour page does not have.
fn screenshot_is_not_blank(page: &Path, hash: &str, width: u32, height: u32, dark: bool) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("shot.png");
    let size = format!("--window-size={width},{height}");
    let shot = format!("--screenshot={}", png.display());
    let mut args = vec![size.as_str(), shot.as_str()];
    if dark {
        args.push("--force-dark-mode");
    }
    browse(&args, &format!("file://{}{hash}", page.display()));
    let img = image::open(&png)
        .unwrap_or_else(|e| panic!("{}: {e}", png.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), (width, height));
    let lum: Vec<f64> = img
        .pixels()
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    let mean = lum.iter().sum::<f64>() / lum.len() as f64;
    let variance = lum.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lum.len() as f64;
    let colours: std::collections::HashSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(
        variance > 50.0 && colours.len() > 20,
        "{} at {width}x{height} looks blank: variance {variance:.1}, {} colours",
        page.display(),
        colours.len()
    );
    mean
}

#[test]
fn batch_page_shows_every_scenario_and_filters_hide_rows() {
    let b = bundled();
    let page = b.out.join("report.html");
    let data = page_data(&std::fs::read_to_string(&page).unwrap());
    let rows = data["batch"]["scenarios"].as_array().unwrap();
    let drawn = draw(&page, "");
    assert_eq!(drawn.check["kind"], "batch");
    assert_eq!(drawn.check["rows"], rows.len());
    assert_eq!(drawn.check["visible_rows"], rows.len());
    for id in result_ids(&b.out) {
        assert!(
            drawn.dom.contains(&format!("data-id=\"{id}\"")),
            "{id} is not on the page"
        );
    }
    // Text filter: only the ids (or names, messages, errors) holding it stay.
    let want = rows
        .iter()
        .filter(|r| {
            ["id", "name", "final_message", "error"].iter().any(|k| {
                r[k].as_str()
                    .is_some_and(|t| t.to_lowercase().contains("apply_patch"))
            })
        })
        .count();
    assert!(want > 0 && want < rows.len());
    let filtered = draw(&page, "#filter=apply_patch");
    assert_eq!(filtered.check["visible_rows"], want, "{}", filtered.check);
    // Status and tool filters.
    assert_eq!(draw(&page, "#status=fail").check["visible_rows"], 0);
    let with_tool = rows
        .iter()
        .filter(|r| {
            r["tool_calls"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "exec_command")
        })
        .count();
    assert!(with_tool > 0 && with_tool < rows.len());
    assert_eq!(
        draw(&page, "#tool=exec_command").check["visible_rows"],
        with_tool
    );
    // Every row opened: checks, final messages and patches as diffs draw without an error.
    let open = draw(&page, "#open=all");
    assert!(open.dom.contains("<pre class=\"diff\">"), "no diff drawn");
    assert!(open.dom.contains("<span class=\"add\">+"), "no added line");
    assert!(open.dom.contains("<ul class=\"checks\">"));
    // A run's session view.
    let i = rows
        .iter()
        .position(|r| r["id"] == "tools/shell_then_answer")
        .unwrap();
    let session = draw(&page, &format!("#session={i}"));
    assert!(session.dom.contains(">Timeline<"), "no timeline");
    assert!(session.dom.contains("back to the batch"));
    assert!(session.dom.contains("exec_command: "));
}

#[test]
fn session_pages_of_a_codex_rollout_and_of_a_divergence() {
    let tmp = tempfile::tempdir().unwrap();
    let rollout = repo().join("tests/fixtures/rollouts/codex-0.169.0-shell-resumed.jsonl");
    let page = tmp.path().join("codex.html");
    let data = page_data(&report(&[&rollout], &page));
    let drawn = draw(&page, "");
    assert_eq!(drawn.check["kind"], "session");
    assert_eq!(drawn.check["rows"], 2, "two turns");
    let thread = data["session"]["summary"]["thread_id"].as_str().unwrap();
    assert!(drawn.dom.contains(thread));
    assert!(drawn.dom.contains("replays without a divergence"));

    let family = tempfile::tempdir().unwrap();
    let (parent, child) = session_with_sub_agent(family.path());
    let page = tmp.path().join("family.html");
    report(&[&parent], &page);
    let drawn = draw(&page, "");
    assert!(
        drawn.dom.contains(&format!(
            "<section class=\"sub-agent\" data-thread=\"{child}\">"
        )),
        "no sub-agent section"
    );
    assert!(drawn.dom.contains(&format!("Sub-agent {child}")));

    let (diverging, line) = diverging_rollout(tmp.path());
    let page = tmp.path().join("diverging.html");
    report(&[&diverging], &page);
    let drawn = draw(&page, "");
    assert!(
        drawn
            .dom
            .contains(&format!("First replay divergence at line {line}")),
        "{}",
        drawn.dom
    );
    let marked = drawn.dom.find("id=\"divergence-line\"").expect("marked");
    let entry = &drawn.dom[marked..marked + 600];
    // The swapped line is call_b's output: the call it answers (`cat b.txt`) is marked.
    assert!(entry.contains("exec_command: cat b.txt"), "{entry}");
    assert!(entry.contains(&format!("line {line}")), "{entry}");
}

#[test]
fn comparison_page_puts_regressions_first_and_filters() {
    let runs = two_runs();
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("compare.html");
    report(&[&runs.a, &runs.b], &page);
    let drawn = draw(&page, "");
    assert_eq!(drawn.check["kind"], "compare");
    assert_eq!(drawn.check["rows"], 3);
    let first = drawn.dom.find("data-id=\"tools/breaks\"").unwrap();
    for later in ["data-id=\"healed\"", "data-id=\"steady\""] {
        assert!(
            drawn.dom.find(later).unwrap() > first,
            "{later} before the regression"
        );
    }
    assert_eq!(draw(&page, "#change=regressed").check["visible_rows"], 1);
    assert_eq!(draw(&page, "#filter=stead").check["visible_rows"], 1);
}

#[test]
fn screenshots_at_desktop_and_phone_widths_are_not_blank_in_both_themes() {
    let runs = two_runs();
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("session.html");
    let rollout = repo().join("tests/fixtures/rollouts/codex-0.169.0-aborted-command.jsonl");
    report(&[&rollout], &session);
    let compare = tmp.path().join("compare.html");
    report(&[&runs.a, &runs.b], &compare);
    let batch = bundled().out.join("report.html");
    for page in [&batch, &session, &compare] {
        for (w, h) in [(1280, 800), (390, 844)] {
            let light = screenshot_is_not_blank(page, "", w, h, false);
            let dark = screenshot_is_not_blank(page, "", w, h, true);
            assert!(
                light > 150.0 && dark < 100.0,
                "{}: themes: light mean {light:.0}, dark mean {dark:.0}",
                page.display()
            );
        }
    }
}
