//! `rcodex batch --live --record DIR`: turns each live run into a scripted scenario, so one
//! live evaluation becomes a deterministic regression test that runs with no key.
//!
//! A [`Recorder`] taps the model client (see [`crate::client::StreamTap`]) and keeps, per
//! request in order, the model's answer as received: every `response.output_item.done` item
//! raw and the `response.completed` usage (or the HTTP error, `response.failed`,
//! `response.incomplete`, or a stream cut short). [`write_recording`] then writes
//! `DIR/<id>.toml`: the original scenario file, comments and all, with its `[[model.reply]]`
//! entries replaced by the recorded ones (see `reply_toml`).

mod relocate;
mod reply_toml;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcodex_core::session::RequestId;
use serde_json::{Map, Value};

use crate::client::StreamTap;

/// One request's answer as received.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordedReply {
    /// `response.output_item.done` items, raw, in order.
    pub items: Vec<Value>,
    /// `response.usage` of `response.completed`, raw.
    pub usage: Option<Value>,
    /// `response.end_turn` of `response.completed`.
    pub end_turn: Option<bool>,
    pub http_error: Option<RecordedHttpError>,
    /// `response.failed`: `response.error` raw.
    pub failed: Option<Map<String, Value>>,
    /// `response.incomplete`: `incomplete_details.reason`.
    pub incomplete: Option<String>,
    /// The stream ended without a terminal event.
    pub cut: bool,
}

/// An HTTP error answer: status, body, and the headers the client acts on.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedHttpError {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// Collects one run's answers, in request order.
#[derive(Debug, Default)]
pub struct Recorder {
    replies: Mutex<Vec<(RequestId, RecordedReply)>>,
}

impl Recorder {
    /// A recorder when `dir` is set and this is the first repeat (later repeats would record
    /// the same scenario id again).
    pub fn for_run(dir: Option<&Path>, repeat: u32) -> Option<Arc<Recorder>> {
        (dir.is_some() && repeat == 0).then(|| Arc::new(Recorder::default()))
    }

    fn with_reply(&self, request: RequestId, f: impl FnOnce(&mut RecordedReply)) {
        let mut replies = self.replies.lock().unwrap_or_else(|e| e.into_inner());
        let at = match replies.iter().position(|(id, _)| *id == request) {
            Some(at) => at,
            None => {
                replies.push((request, RecordedReply::default()));
                replies.len() - 1
            }
        };
        f(&mut replies[at].1);
    }

    /// The answers so far, in the order their requests were first answered.
    pub fn replies(&self) -> Vec<RecordedReply> {
        let replies = self.replies.lock().unwrap_or_else(|e| e.into_inner());
        replies.iter().map(|(_, r)| r.clone()).collect()
    }
}

impl StreamTap for Recorder {
    fn http_error(
        &self,
        request: RequestId,
        status: u16,
        headers: &[(String, String)],
        body: &str,
    ) {
        self.with_reply(request, |r| {
            r.http_error = Some(RecordedHttpError {
                status,
                body: body.to_string(),
                headers: headers.to_vec(),
            });
        });
    }

    fn event(&self, request: RequestId, data: &str) {
        // Keys stay in the order received (serde_json's preserve_order is on).
        let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(data) else {
            return;
        };
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut response = match event.remove("response") {
            Some(Value::Object(r)) => r,
            _ => Map::new(),
        };
        self.with_reply(request, |r| match kind.as_str() {
            "response.output_item.done" => r.items.extend(event.remove("item")),
            "response.completed" => {
                r.usage = response.remove("usage").filter(|u| !u.is_null());
                r.end_turn = response.get("end_turn").and_then(Value::as_bool);
            }
            "response.failed" => {
                r.failed = Some(match response.remove("error") {
                    Some(Value::Object(e)) => e,
                    _ => Map::new(),
                });
            }
            "response.incomplete" => {
                let reason = response
                    .get("incomplete_details")
                    .and_then(|d| d.get("reason"))
                    .and_then(Value::as_str);
                r.incomplete = Some(reason.unwrap_or("").to_string());
            }
            _ => {}
        });
    }

    fn ended_early(&self, request: RequestId) {
        self.with_reply(request, |r| r.cut = true);
    }
}

/// Where the recording of scenario `id` goes.
pub fn recording_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.toml"))
}

/// Refuses to start a recording that would overwrite a file: each id in `ids` must be free
/// under `dir`.
pub fn check_free<'a>(dir: &Path, ids: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    for id in ids {
        let path = recording_path(dir, id);
        if path.exists() {
            return Err(format!(
                "--record: {} already exists (record into a new folder, or delete it first)",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Writes the recording of one run: `scenario_file`'s text with its replies replaced by
/// `replies`, `model.name` set to `model` when the scenario left it to the config (the tools
/// offered depend on the model, so a replay must ask as the live run did), and paths relative
/// to the scenario file made relative to the recording.
pub fn write_recording(
    dir: &Path,
    id: &str,
    scenario_file: &Path,
    model: &str,
    replies: &[RecordedReply],
) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(scenario_file)
        .map_err(|e| format!("{}: {e}", scenario_file.display()))?;
    let path = recording_path(dir, id);
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let folder = |p: &Path| -> Result<PathBuf, String> {
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        p.canonicalize()
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let from = folder(scenario_file.parent().unwrap_or(Path::new(".")))?;
    let to = folder(parent)?;
    let recorded = reply_toml::rewrite(&text, model, replies, |doc| {
        relocate::relocate(doc, &from, &to)
    })
    .map_err(|e| format!("{}: {e}", scenario_file.display()))?;
    let header = format!(
        "# Recorded by `rcodex batch --live --record` from {} with model {model}: the\n# [[model.reply]] entries are the model's answers as received; this file runs scripted.\n",
        scenario_file.display()
    );
    // Whole or not at all: a temp file in the same folder, renamed over the target. The batch
    // refused existing files before it started (`check_free`), so what this replaces is an
    // earlier attempt of the same run in this batch (a retried error).
    let write_error = |e: &dyn std::fmt::Display| format!("--record: {}: {e}", path.display());
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(|e| write_error(&e))?;
    file.write_all(format!("{header}{recorded}").as_bytes())
        .map_err(|e| write_error(&e))?;
    // A temp file is private (0600); a recording is an ordinary scenario file.
    use std::os::unix::fs::PermissionsExt;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(|e| write_error(&e))?;
    file.persist(&path).map_err(|e| write_error(&e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_become_replies_per_request_in_order() {
        let r = Recorder::default();
        r.event(7, r#"{"type":"response.created","response":{"id":"r1"}}"#);
        r.event(
            7,
            r#"{"type":"response.output_item.done","output_index":0,"item":{"type":"message","role":"assistant","id":"m1","content":[]}}"#,
        );
        r.event(
            7,
            r#"{"type":"response.completed","response":{"id":"r1","usage":{"input_tokens":5},"end_turn":false}}"#,
        );
        r.http_error(8, 429, &[("retry-after".into(), "1".into())], "slow down");
        r.event(
            9,
            r#"{"type":"response.failed","response":{"error":{"code":"x","message":"y"}}}"#,
        );
        r.event(
            10,
            r#"{"type":"response.output_item.done","item":{"b":1,"a":2}}"#,
        );
        r.ended_early(10);
        let replies = r.replies();
        assert_eq!(replies.len(), 4);
        assert_eq!(
            serde_json::to_string(&replies[0].items[0]).unwrap(),
            r#"{"type":"message","role":"assistant","id":"m1","content":[]}"#,
            "keys in the order received"
        );
        assert_eq!(
            replies[0].usage,
            Some(serde_json::json!({"input_tokens": 5}))
        );
        assert_eq!(replies[0].end_turn, Some(false));
        assert_eq!(replies[1].http_error.as_ref().unwrap().status, 429);
        assert_eq!(replies[2].failed.as_ref().unwrap()["code"], "x");
        assert!(replies[3].cut);
        assert_eq!(
            serde_json::to_string(&replies[3].items[0]).unwrap(),
            r#"{"b":1,"a":2}"#
        );
    }

    #[test]
    fn only_the_first_repeat_records() {
        assert!(Recorder::for_run(Some(Path::new("d")), 0).is_some());
        assert!(Recorder::for_run(Some(Path::new("d")), 1).is_none());
        assert!(Recorder::for_run(None, 0).is_none());
    }

    #[test]
    fn an_existing_file_is_refused_up_front_and_a_retry_replaces_its_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.toml");
        std::fs::write(&src, "name = \"a\"\nprompt = \"p\"\n").unwrap();
        let out = dir.path().join("rec");
        check_free(&out, ["x/a"]).unwrap();
        let path = write_recording(&out, "x/a", &src, "gpt-5.5", &[]).unwrap();
        assert_eq!(path, out.join("x/a.toml"));
        let e = check_free(&out, ["x/b", "x/a"]).unwrap_err();
        assert!(e.contains("x/a.toml already exists"), "{e}");
        let retry = RecordedReply {
            cut: true,
            ..RecordedReply::default()
        };
        write_recording(&out, "x/a", &src, "gpt-5.5", &[retry]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("cut = true").count(), 1, "{text}");
        let left: Vec<_> = std::fs::read_dir(out.join("x")).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file left: {left:?}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}
