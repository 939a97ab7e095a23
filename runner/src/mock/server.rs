//! The loopback HTTP server: answers `POST …/responses` (and `POST …/chat/completions`, as a
//! chat-completions server would) from the script, in order (children from their own `[[agent]]`
//! lists, see `routing`), records every request (headers in arrival order) and whose list answered
//! it, and answers 400 once a list is used up or a child matches no agent.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

use super::chat_body::render_chat;
use super::routing::{AnsweredAs, Router};
use super::script::{load_script, Script};
use super::sse_body::render;
use crate::cli::MockArgs;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The HTTP method, as received.
    pub method: String,
    /// The request path (`/v1/responses`, `/v1/chat/completions`).
    pub path: String,
    /// The headers, in arrival order, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The JSON body (key order kept), or a string when it is not JSON.
    pub body: Value,
    /// When it arrived (for retry-gap checks).
    pub received_at: Instant,
}

struct State {
    /// The reply lists (root and agents) and the children matched so far.
    router: Router,
    requests: Vec<RecordedRequest>,
    /// Whose list answered each request, beside `requests`.
    answered_as: Vec<AnsweredAs>,
    log_dir: Option<PathBuf>,
}

/// A running scripted server.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Starts on 127.0.0.1 with a free port.
    pub async fn start(script: Script) -> std::io::Result<MockServer> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), script, None).await
    }

    /// Starts on `addr` (loopback only), optionally logging requests to `log_dir`.
    pub async fn start_on(
        addr: SocketAddr,
        script: Script,
        log_dir: Option<PathBuf>,
    ) -> std::io::Result<MockServer> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the mock serves loopback only",
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            router: Router::new(script),
            requests: Vec::new(),
            answered_as: Vec::new(),
            log_dir,
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(MockServer { addr, state, task })
    }

    /// The address it listens on (127.0.0.1 and the port it got).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`, the provider `base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().expect("mock state").requests.clone()
    }

    /// Whose reply list answered each request so far (`root`, `agent N`, `unmatched`), in
    /// arrival order, beside `requests()`.
    pub fn answered_as(&self) -> Vec<AnsweredAs> {
        self.state.lock().expect("mock state").answered_as.clone()
    }

    /// Stops accepting; open streams end.
    pub async fn shutdown(self) {
        self.task.abort();
        tokio::task::yield_now().await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Body = Full<Bytes>;

fn respond(status: u16, headers: &[(&str, String)], body: String) -> Response<Body> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    // Arrival time on the wall clock, for benchmarks that time spawn → first request.
    let received_unix_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let raw = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&raw)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&raw).into_owned()));
    let chat = path.ends_with("/chat/completions");
    // A summary request offers no tools: `tools: []` on the Responses API; the chat adapter
    // leaves an empty `tools` out.
    let summary_request = match body.get("tools") {
        Some(Value::Array(tools)) => tools.is_empty(),
        None => chat,
        Some(_) => false,
    };
    if method != "POST" || !(path.ends_with("/responses") || chat) {
        return Ok(respond(
            404,
            &[],
            format!("rcodex mock: no route for {method} {path}"),
        ));
    }
    let include_usage = body.pointer("/stream_options/include_usage") == Some(&Value::Bool(true));
    let (n, routed, log_dir) = {
        let mut s = state.lock().expect("mock state");
        let n = s.requests.len() + 1;
        let routed = s.router.route(n, &headers, &body);
        s.answered_as.push(routed.answered_as.clone());
        let record = RecordedRequest {
            method,
            path,
            headers,
            body,
            received_at: Instant::now(),
        };
        s.requests.push(record);
        (n, routed, s.log_dir.clone())
    };
    if let Some(dir) = log_dir {
        let r = state.lock().expect("mock state").requests[n - 1].clone();
        let json = serde_json::json!({
            "method": r.method,
            "path": r.path,
            "received_unix_ns": received_unix_ns,
            "answered_as": routed.answered_as.to_string(),
            "agent_thread_id": routed.thread_id,
            "reply_number": routed.reply_number,
            "headers": r.headers,
            "body": r.body,
        });
        let _ = std::fs::write(
            dir.join(format!("request-{n:03}.json")),
            serde_json::to_string_pretty(&json).unwrap_or_default(),
        );
    }
    let request_id = ("x-request-id", format!("mockreq-{n}"));
    let reply = match routed.reply {
        Ok(reply) => reply,
        Err(message) => return Ok(respond(400, &[request_id], message)),
    };
    if reply.summary && !summary_request {
        return Ok(respond(
            400,
            &[request_id],
            format!(
                "rcodex mock: request {n}: the script expects a summary request (tools: []), got one offering tools"
            ),
        ));
    }
    if reply.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
    }
    if let Some(err) = &reply.http_error {
        let mut hs: Vec<(&str, String)> = vec![request_id];
        hs.extend(err.headers.iter().map(|(k, v)| (k.as_str(), v.clone())));
        return Ok(respond(err.status, &hs, err.body.clone()));
    }
    Ok(respond(
        200,
        &[("content-type", "text/event-stream".into()), request_id],
        if chat {
            render_chat(&reply, n, include_usage)
        } else {
            render(&reply, n)
        },
    ))
}

/// ` (root 4, agent 1: 2, agent 2: 1)` when children were answered, else nothing.
fn per_list(answered: &[AnsweredAs]) -> String {
    if answered.iter().all(|a| *a == AnsweredAs::Root) {
        return String::new();
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for a in answered {
        let name = a.to_string();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    counts.sort_by_key(
        |(name, _)| match answered.iter().find(|a| a.to_string() == *name) {
            Some(AnsweredAs::Root) => 0,
            Some(AnsweredAs::Agent(n)) => *n,
            _ => usize::MAX,
        },
    );
    let parts: Vec<String> = counts
        .into_iter()
        .map(|(name, c)| match name.as_str() {
            "root" => format!("root {c}"),
            _ => format!("{name}: {c}"),
        })
        .collect();
    format!(" ({})", parts.join(", "))
}

/// `rcodex mock --script FILE [--port N] [--log-dir D]`: serves until Ctrl-C.
pub async fn run_cli_command(args: MockArgs) -> i32 {
    let script = match load_script(&args.script) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Error: {e}");
            return 2;
        }
    };
    if let Some(dir) = &args.log_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("Error: {}: {e}", dir.display());
            return 2;
        }
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let server = match MockServer::start_on(addr, script, args.log_dir.clone()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Error: cannot listen on {addr}: {e}");
            return 2;
        }
    };
    println!("{}", server.base_url());
    let _ = tokio::signal::ctrl_c().await;
    eprintln!(
        "served {} requests{}",
        server.requests().len(),
        per_list(&server.answered_as())
    );
    server.shutdown().await;
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closing_line_counts_requests_per_list_only_with_children() {
        assert_eq!(per_list(&[AnsweredAs::Root, AnsweredAs::Root]), "");
        let mixed = [
            AnsweredAs::Agent(2),
            AnsweredAs::Root,
            AnsweredAs::Unmatched,
            AnsweredAs::Agent(1),
            AnsweredAs::Agent(2),
        ];
        assert_eq!(
            per_list(&mixed),
            " (root 1, agent 1: 1, agent 2: 2, unmatched: 1)"
        );
    }
}
