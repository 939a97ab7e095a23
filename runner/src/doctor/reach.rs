//! Reachability of the provider's base_url, one layer at a time so a failure names its layer:
//! DNS (none for an IP address), a TCP connect, the TLS handshake (https only) and the HTTP status
//! of a cheap request (`GET {base_url}/models` with the provider's headers).

use std::error::Error;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::Url;

use super::check::Check;

/// Longest wait for a name lookup, a TCP connect, and the cheap request.
const DNS_TIMEOUT: Duration = Duration::from_secs(5);
const TCP_TIMEOUT: Duration = Duration::from_secs(3);
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to fix a wrong base_url, for messages.
pub struct Target<'a> {
    pub base_url: &'a str,
    /// `model_providers.ID.base_url` or, for a built-in, how to change it.
    pub base_url_key: String,
    /// The query string of the provider's requests (`?api-version=...`), or empty.
    pub query: &'a str,
}

/// DNS, TCP, TLS and HTTP checks; returns them and whether the server answered at all.
pub async fn check_reach(
    target: &Target<'_>,
    http: &reqwest::Client,
    headers: &[(String, String)],
) -> (Vec<Check>, bool) {
    let mut checks = Vec::new();
    let skip_rest = |checks: &mut Vec<Check>, from: usize, why: &str| {
        for name in ["dns", "tcp", "tls", "http"].into_iter().skip(from) {
            checks.push(Check::skipped(name, why.to_string()));
        }
    };
    let url = match Url::parse(target.base_url) {
        Ok(u) if u.host_str().is_some() && matches!(u.scheme(), "http" | "https") => u,
        Ok(_) | Err(_) => {
            checks.push(Check::fail(
                "dns",
                format!(
                    "base_url {:?} is not an http(s) URL with a host",
                    target.base_url
                ),
                format!("set {} to a URL like https://host/v1", target.base_url_key),
            ));
            skip_rest(&mut checks, 1, "no usable base_url");
            return (checks, false);
        }
    };
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = match resolve(&host, port).await {
        Ok((addrs, detail)) => {
            checks.push(Check::ok("dns", detail));
            addrs
        }
        Err(detail) => {
            checks.push(Check::fail(
                "dns",
                detail,
                format!(
                    "check the host name in {} and this machine's DNS",
                    target.base_url_key
                ),
            ));
            skip_rest(&mut checks, 1, "DNS failed");
            return (checks, false);
        }
    };
    match connect(&addrs).await {
        Ok(detail) => checks.push(Check::ok("tcp", detail)),
        Err(detail) => {
            checks.push(Check::fail(
                "tcp",
                detail,
                format!(
                    "start the server at {} or correct {}",
                    target.base_url, target.base_url_key
                ),
            ));
            skip_rest(&mut checks, 2, "TCP connect failed");
            return (checks, false);
        }
    }
    let https = url.scheme() == "https";
    let models = format!(
        "{}/models{}",
        target.base_url.trim_end_matches('/'),
        target.query
    );
    let mut req = http.get(&models);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let started = Instant::now();
    let resp = match tokio::time::timeout(HTTP_TIMEOUT, req.send()).await {
        Err(_) => {
            if https {
                checks.push(Check::skipped("tls", "no answer to tell"));
            } else {
                checks.push(Check::skipped("tls", "plain http"));
            }
            checks.push(Check::fail(
                "http",
                format!("GET {models}: no answer within {}s", HTTP_TIMEOUT.as_secs()),
                format!("check that {} serves the API", target.base_url),
            ));
            return (checks, false);
        }
        Ok(Err(e)) => {
            let why = chain(&e);
            // TCP connected a moment ago, so a connect error now is the handshake.
            if https && (e.is_connect() || looks_like_tls(&why)) {
                checks.push(Check::fail(
                    "tls",
                    format!("TLS handshake with {host}:{port} failed: {why}"),
                    "check the server's certificate (and any proxy); the host must serve https on this port",
                ));
                checks.push(Check::skipped("http", "TLS failed"));
            } else {
                checks.push(if https {
                    Check::ok("tls", "handshake completed")
                } else {
                    Check::skipped("tls", "plain http")
                });
                checks.push(Check::fail(
                    "http",
                    format!("GET {models}: {why}"),
                    format!("check that {} serves the API", target.base_url),
                ));
            }
            return (checks, false);
        }
        Ok(Ok(resp)) => resp,
    };
    checks.push(if https {
        Check::ok("tls", format!("handshake with {host} completed"))
    } else {
        Check::skipped("tls", "plain http")
    });
    let ms = started.elapsed().as_millis();
    let status = resp.status().as_u16();
    // Read the answer out, so the connection is left clean for the live request.
    let _ = tokio::time::timeout(HTTP_TIMEOUT, resp.bytes()).await;
    let said = format!("GET {models} -> HTTP {status} in {ms} ms");
    checks.push(match status {
        200..=299 => Check::ok("http", said),
        401 | 403 => Check::fail(
            "http",
            format!("{said}: the key was refused"),
            "check that the key is valid for this provider (or the provider's auth headers)",
        ),
        404 | 405 => Check::warn(
            "http",
            format!("{said}: the server has no /models (many do not); the live request tells more"),
            "",
        ),
        500..=599 => Check::fail(
            "http",
            format!("{said}: server error"),
            format!(
                "the server at {} is failing; try later or another base_url",
                target.base_url
            ),
        ),
        _ => Check::warn("http", format!("{said}: unexpected status"), ""),
    });
    (checks, true)
}

/// The addresses to connect to and what the lookup found.
async fn resolve(host: &str, port: u16) -> Result<(Vec<SocketAddr>, String), String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok((
            vec![SocketAddr::new(ip, port)],
            format!("{ip} is an IP address; no lookup needed"),
        ));
    }
    // RFC 6761: `.invalid` never resolves, and resolvers should not ask the network.
    let lower = host.to_ascii_lowercase();
    if lower == "invalid" || lower.ends_with(".invalid") {
        return Err(format!(
            "{host} cannot resolve: .invalid is a reserved name that never exists"
        ));
    }
    match tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(format!(
            "looking up {host} took longer than {}s",
            DNS_TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => Err(format!("{host} does not resolve: {e}")),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no address"));
            }
            let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
            Ok((addrs, format!("{host} -> {}", shown.join(", "))))
        }
    }
}

/// Connects to the first address that answers within the timeout.
async fn connect(addrs: &[SocketAddr]) -> Result<String, String> {
    let mut errors = Vec::new();
    for addr in addrs {
        let started = Instant::now();
        match tokio::time::timeout(TCP_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => {
                return Ok(format!(
                    "connected to {addr} in {} ms",
                    started.elapsed().as_millis()
                ))
            }
            Ok(Err(e)) => errors.push(format!("{addr}: {e}")),
            Err(_) => errors.push(format!(
                "{addr}: no answer within {}s",
                TCP_TIMEOUT.as_secs()
            )),
        }
    }
    Err(format!("cannot connect: {}", errors.join("; ")))
}

fn looks_like_tls(why: &str) -> bool {
    let w = why.to_ascii_lowercase();
    [
        "tls",
        "certificate",
        "handshake",
        "invalidcontenttype",
        "corrupt message",
    ]
    .iter()
    .any(|s| w.contains(s))
}

/// An error and its causes, `outer: inner: innermost`.
pub fn chain(e: &dyn Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
