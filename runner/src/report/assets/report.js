// rcodex report: draws the batch, session or comparison view from the JSON in #report-data.
// No framework, nothing fetched. Test hooks in the URL hash: #filter=TEXT, #status=STATUS,
// #tool=NAME, #change=CHANGE, #session=INDEX, #open=ID|all (open rows' details), joined
// with & (#status=fail&filter=patch). The page writes what it drew and any errors
// into #report-selfcheck (JSON) so a headless browser can read them back from the DOM.
"use strict";
(function () {
  var errors = [];
  var started = performance.now();
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  var consoleError = console.error;
  console.error = function () {
    errors.push(Array.prototype.join.call(arguments, " "));
    consoleError.apply(console, arguments);
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "cls") node.className = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function num(n) { return n === null || n === undefined ? "" : Number(n).toLocaleString("en-US"); }
  function ms(n) {
    if (n === null || n === undefined) return "";
    return n >= 1000 ? (n / 1000).toFixed(2) + " s" : n + " ms";
  }
  function usd(n) { return n === null || n === undefined ? "" : "$" + Number(n).toFixed(4); }
  function signed(n, fmt) { return n === null || n === undefined ? "" : (n > 0 ? "+" : "") + fmt(n); }
  function card(label, value, cls) { return el("div", { cls: "card" }, [el("b", { text: String(value), cls: cls || "" }), label]); }
  function hashParams() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i > 0) out[decodeURIComponent(part.slice(0, i))] = decodeURIComponent(part.slice(i + 1));
    });
    return out;
  }
  function textBlock(text, cls) {
    var lines = text.split("\n").length;
    var pre = cls === "diff" ? diff(text) : el("pre", { text: text, cls: cls || "" });
    if (text.length <= 600 && lines <= 12) return pre;
    return el("details", {}, [el("summary", { text: "show " + lines + " lines (" + num(text.length) + " characters)" }), pre]);
  }
  function diff(text) {
    var pre = el("pre", { cls: "diff" });
    text.split("\n").forEach(function (line) {
      var c = line[0] === "+" ? "add" : line[0] === "-" ? "del" : line.slice(0, 2) === "@@" ? "hunk" : line[0] === "*" ? "file" : "";
      pre.appendChild(c ? el("span", { cls: c, text: line }) : document.createTextNode(line + "\n"));
    });
    return pre;
  }

  // ---- the table: sortable and filterable rows, each with a detail row drawn on first open ----
  function table(columns, rows, detail) {
    var tbody = el("tbody");
    var state = { key: null, dir: 1 };
    var heads = columns.map(function (c, i) {
      return el("th", { cls: (c.num ? "num " : "") + (c.narrow ? "hide-narrow" : ""), text: c.label, onclick: function () { sortBy(i); } });
    });
    var entries = rows.map(function (r, index) {
      var tr = el("tr", { cls: "row", "data-id": r.id === undefined ? "" : String(r.id) }, columns.map(function (c) {
        var v = c.show ? c.show(r) : c.get(r);
        return el("td", { cls: (c.num ? "num " : "") + (c.cls ? c.cls(r) : "") + (c.narrow ? " hide-narrow" : ""), text: v === undefined || v === null ? "" : String(v) });
      }));
      var entry = { row: r, tr: tr, detail: null, index: index };
      tr.addEventListener("click", function () {
        if (!entry.detail) {
          entry.detail = el("tr", { cls: "detail" }, [el("td", { colspan: String(columns.length) }, [detail(r, index)])]);
          tr.parentNode.insertBefore(entry.detail, tr.nextSibling);
        } else {
          entry.detail.hidden = !entry.detail.hidden;
        }
      });
      return entry;
    });
    function draw() {
      var frag = document.createDocumentFragment();
      entries.forEach(function (e) { frag.appendChild(e.tr); if (e.detail) frag.appendChild(e.detail); });
      tbody.appendChild(frag);
    }
    function sortBy(i) {
      state.dir = state.key === i ? -state.dir : 1;
      state.key = i;
      var get = columns[i].get;
      entries.sort(function (a, b) {
        var x = get(a.row), y = get(b.row);
        if (x === y) return a.index - b.index;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * state.dir;
      });
      heads.forEach(function (h, j) { h.className = h.className.replace(/ ?sorted-(asc|desc)/, "") + (j === i ? (state.dir > 0 ? " sorted-asc" : " sorted-desc") : ""); });
      draw();
    }
    draw();
    return {
      node: el("div", { cls: "table-wrap" }, [el("table", {}, [el("thead", {}, [el("tr", {}, heads)]), tbody])]),
      filter: function (keep) {
        var shown = 0;
        entries.forEach(function (e) {
          var ok = keep(e.row);
          e.tr.hidden = !ok;
          if (e.detail && !ok) e.detail.hidden = true;
          shown += ok ? 1 : 0;
        });
        return shown;
      },
      open: function (want) {
        entries.forEach(function (e) { if (want(e.row) && (!e.detail || e.detail.hidden)) e.tr.click(); });
      },
      count: entries.length
    };
  }
  function select(name, values, chosen) {
    var s = el("select", { "aria-label": name }, [el("option", { value: "", text: "any " + name })].concat(values.map(function (v) {
      return el("option", { value: v, text: v });
    })));
    s.value = values.indexOf(chosen) >= 0 ? chosen : "";
    return s;
  }

  // ---- batch view ----
  function batchView(b, app, params) {
    var t = b.totals;
    app.appendChild(el("h1", { text: "Batch run" }));
    app.appendChild(el("p", { cls: "muted", text: b.out }));
    var u = t.usage;
    app.appendChild(el("div", { cls: "cards" }, [
      card("runs", t.runs), card("pass", t.pass, "s-pass"), card("fail", t.fail, "s-fail"),
      card("error", t.error, "s-error"), card("skipped", t.skipped, "s-skipped"), card("timeout", t.timeout, "s-timeout"),
      card("input tokens (" + num(u.cached_input_tokens) + " cached)", num(u.input_tokens)),
      card("output tokens", num(u.output_tokens)), card("cost", t.cost_usd === null || t.cost_usd === undefined ? "n/a" : usd(t.cost_usd)),
      card("wall time", t.wall_ms === null || t.wall_ms === undefined ? "n/a" : ms(t.wall_ms)), card("run time (sum)", ms(t.duration_ms))
    ]));
    var tools = {};
    b.scenarios.forEach(function (s) { (s.tool_calls || []).forEach(function (n) { tools[n] = true; }); });
    var text = el("input", { type: "search", placeholder: "filter: id, name, message, error", "aria-label": "filter", value: params.filter || "" });
    var status = select("status", ["pass", "fail", "error", "skipped", "timeout"], params.status);
    var tool = select("tool", Object.keys(tools).sort(), params.tool);
    var shownNote = el("span", { cls: "muted" });
    app.appendChild(el("div", { cls: "controls" }, [text, status, tool, shownNote]));
    var t2 = table([
      { label: "scenario", get: function (r) { return r.id + (r.repeat ? " #" + r.repeat : ""); }, cls: function () { return "id"; } },
      { label: "status", get: function (r) { return r.status; }, cls: function (r) { return "status s-" + r.status; } },
      { label: "requests", num: true, narrow: true, get: function (r) { return r.requests; } },
      { label: "tokens", num: true, get: function (r) { return r.usage.input_tokens + r.usage.output_tokens; }, show: function (r) { return num(r.usage.input_tokens + r.usage.output_tokens); } },
      { label: "cost", num: true, narrow: true, get: function (r) { return r.cost_usd; }, show: function (r) { return usd(r.cost_usd); } },
      { label: "duration", num: true, get: function (r) { return r.duration_ms; }, show: function (r) { return ms(r.duration_ms); } },
      { label: "tools", narrow: true, get: function (r) { return (r.tool_calls || []).join(", "); } }
    ], b.scenarios, scenarioDetail);
    app.appendChild(t2.node);
    function apply() {
      var q = text.value.toLowerCase(), st = status.value, tl = tool.value;
      var shown = t2.filter(function (r) {
        if (st && r.status !== st) return false;
        if (tl && (r.tool_calls || []).indexOf(tl) < 0) return false;
        if (!q) return true;
        return [r.id, r.name, r.final_message || "", r.error || ""].join("\n").toLowerCase().indexOf(q) >= 0;
      });
      shownNote.textContent = shown + " of " + t2.count + " shown";
      check.rows = t2.count;
      check.visible_rows = shown;
    }
    [text, status, tool].forEach(function (c) { c.addEventListener("input", apply); });
    apply();
    if (params.open) t2.open(function (r) { return params.open === "all" || r.id === params.open; });
  }
  function scenarioDetail(r, index) {
    var box = el("div");
    box.appendChild(el("p", {}, [el("b", { text: r.name }), " ", el("span", { cls: "muted", text: r.file }),
      r.session ? el("span", {}, [" · ", el("a", { href: "#session=" + index, text: "session view" })]) : null]));
    if (r.error) box.appendChild(el("div", {}, [el("b", { text: "error" }), textBlock(r.error)]));
    if (r.limit) box.appendChild(el("p", { text: "stopped by limit: " + r.limit }));
    if (r.retries) box.appendChild(el("p", { text: "retried after infrastructure errors: " + r.retries + " time(s)" }));
    if (r.checks && r.checks.length) {
      box.appendChild(el("b", { text: "checks" }));
      box.appendChild(el("ul", { cls: "checks" }, r.checks.map(function (c) {
        var li = el("li", { cls: c.passed ? "" : "failed" }, [el("code", { text: c.check }), c.detail ? ": " + c.detail : ""]);
        if (c.command) li.appendChild(textBlock(JSON.stringify(c.command, null, 2)));
        return li;
      })));
    }
    if (r.final_message) box.appendChild(el("div", {}, [el("b", { text: "final message" }), textBlock(r.final_message)]));
    if (r.session_error) box.appendChild(el("p", { cls: "s-error", text: "rollout: " + r.session_error }));
    if (r.session) {
      var calls = r.session.entries.filter(function (e) { return ["tool_call", "patch", "retry", "error", "interrupt"].indexOf(e.kind) >= 0; });
      if (calls.length) {
        box.appendChild(el("b", { text: "tool calls, retries and errors" }));
        box.appendChild(timeline(r.session, calls));
      }
    }
    if (r.workspace) box.appendChild(el("p", { cls: "muted", text: "workspace: " + r.workspace }));
    return box;
  }

  // ---- session view ----
  function sessionView(s, app, back) {
    if (back) app.appendChild(el("p", {}, [el("a", { href: "#", text: "← back to the batch" })]));
    app.appendChild(el("h1", { text: "Session " + (s.summary.thread_id || "") }));
    app.appendChild(el("p", { cls: "muted", text: s.path + " · written by " + (s.originator || "?") + " " + (s.cli_version || "") }));
    s.warnings.forEach(function (w) { app.appendChild(el("p", { cls: "s-error", text: w })); });
    if (s.divergence) {
      var d = s.divergence;
      app.appendChild(el("div", { cls: "divergence", id: "first-divergence" }, [
        el("b", { text: "First replay divergence at line " + d.line + ", request " + d.request }),
        el("p", { text: d.what + " (at " + (d.pointer || "/") + ")" }),
        el("div", {}, ["recorded:", textBlock(JSON.stringify(d.expected, null, 2))]),
        el("div", {}, ["replayed:", textBlock(JSON.stringify(d.actual, null, 2))]),
        el("a", { href: "#", text: "jump to it in the timeline", onclick: function (ev) { ev.preventDefault(); var m = document.getElementById("divergence-line"); if (m) m.scrollIntoView(); } })
      ]));
    } else if (s.replay_error) {
      app.appendChild(el("p", { cls: "s-error", text: "replay: " + s.replay_error }));
    } else {
      app.appendChild(el("p", { cls: "s-pass", text: "replays without a divergence" }));
    }
    var turns = s.summary.turns;
    var allCalls = 0, requests = 0, tokens = 0;
    turns.forEach(function (t) { allCalls += t.tool_calls.length; requests += t.requests; tokens += t.tokens.input + t.tokens.output; });
    app.appendChild(el("div", { cls: "cards" }, [card("turns", turns.length), card("requests", requests), card("tool calls", allCalls), card("tokens", num(tokens))]));
    app.appendChild(el("h2", { text: "Turns" }));
    var tt = table([
      { label: "turn", num: true, get: function (t) { return t.turn; } },
      { label: "outcome", get: function (t) { return t.outcome.status; }, show: function (t) { return t.outcome.status + (t.outcome.reason ? ": " + t.outcome.reason : "") + (t.outcome.message ? ": " + t.outcome.message : ""); } },
      { label: "requests", num: true, get: function (t) { return t.requests; } },
      { label: "retries", num: true, narrow: true, get: function (t) { return t.retries; } },
      { label: "tokens in/cached/out", num: true, get: function (t) { return t.tokens.input; }, show: function (t) { return num(t.tokens.input) + " / " + num(t.tokens.cached) + " / " + num(t.tokens.output); } },
      { label: "first token", num: true, narrow: true, get: function (t) { return t.time_to_first_token_ms; }, show: function (t) { return ms(t.time_to_first_token_ms); } },
      { label: "duration", num: true, get: function (t) { return t.duration_ms; }, show: function (t) { return ms(t.duration_ms); } }
    ], turns, function (t) {
      return el("ul", {}, t.tool_calls.map(function (c) {
        return el("li", { text: c.name + " " + c.call_id + ": " + c.status + (c.exit_code === null || c.exit_code === undefined ? "" : " (exit " + c.exit_code + ")") + (c.duration_ms === null || c.duration_ms === undefined ? "" : ", " + ms(c.duration_ms)) + " · line " + c.line });
      }));
    });
    app.appendChild(tt.node);
    check.rows = tt.count;
    check.visible_rows = tt.count;
    app.appendChild(el("h2", { text: "Timeline" }));
    app.appendChild(timeline(s, s.entries));
    subAgents(s, app, 1);
  }
  // Each spawned agent's thread under its parent: its turns in one line, then its timeline.
  function subAgents(s, parent, depth) {
    (s.sub_agents || []).forEach(function (child) {
      var turns = child.summary.turns, tokens = 0;
      turns.forEach(function (t) { tokens += t.tokens.input + t.tokens.output; });
      var box = el("section", { cls: "sub-agent", "data-thread": child.summary.thread_id });
      box.appendChild(el("h2", { text: "Sub-agent " + child.summary.thread_id + (depth > 1 ? " (depth " + depth + ")" : "") }));
      box.appendChild(el("p", { cls: "muted", text: child.path + " · " + turns.length + " turn(s), " + num(tokens) + " tokens" +
        (child.divergence ? " · diverges at line " + child.divergence.line : "") }));
      box.appendChild(el("details", {}, [el("summary", { text: "timeline (" + child.entries.length + " entries)" }), timeline(child, child.entries)]));
      parent.appendChild(box);
      subAgents(child, box, depth + 1);
    });
  }
  function timeline(s, entries) {
    var outputs = {}, calls = {};
    s.entries.forEach(function (e) { if (e.kind === "tool_output" && e.call_id) outputs[e.call_id] = e; });
    s.summary.turns.forEach(function (t) { t.tool_calls.forEach(function (c) { calls[c.call_id] = c; }); });
    var first = null;
    s.entries.forEach(function (e) { if (!first && e.t) first = Date.parse(e.t); });
    // The divergence is marked on the entry drawn for its line (a call shows its output's line
    // too), else on the first entry after it.
    var divergeLine = s.divergence ? s.divergence.line : -1, marked = false;
    function lines(e) { var o = e.call_id ? outputs[e.call_id] : null; return o && e.kind !== "tool_output" ? [e.line, o.line] : [e.line]; }
    var exact = entries.some(function (e) { return lines(e).indexOf(divergeLine) >= 0; });
    var ol = el("ol", { cls: "timeline" });
    entries.forEach(function (e) {
      if (e.kind === "tool_output" && e.call_id && entries !== s.entries) return;
      if (e.kind === "tool_output" && e.call_id && calls[e.call_id]) return; // drawn with its call
      var at = e.t && first !== null ? "+" + ((Date.parse(e.t) - first) / 1000).toFixed(3) + " s" : "";
      var head = [el("span", { cls: "badge", text: e.kind }), el("b", { text: e.title }), " ", el("span", { cls: "muted", text: "line " + e.line + (at ? " · " + at : "") })];
      var li = el("li", { cls: "k-" + e.kind });
      if (e.tokens) head.push(el("span", { cls: "muted", text: " · tokens in " + num(e.tokens.input) + " (cached " + num(e.tokens.cached) + "), out " + num(e.tokens.output) }));
      var call = e.call_id ? calls[e.call_id] : null;
      if (call) head.push(el("span", { cls: "muted", text: " · " + call.status + (call.exit_code === null || call.exit_code === undefined ? "" : ", exit " + call.exit_code) + (call.duration_ms === null || call.duration_ms === undefined ? "" : ", " + ms(call.duration_ms)) }));
      li.appendChild(el("div", {}, head));
      if (e.text) li.appendChild(textBlock(e.text, e.kind === "patch" ? "diff" : ""));
      var out = e.call_id && (e.kind === "tool_call" || e.kind === "patch") ? outputs[e.call_id] : null;
      if (out) {
        var took = out.t && e.t ? Date.parse(out.t) - Date.parse(e.t) : null;
        li.appendChild(el("div", { cls: "muted", text: "output" + (took !== null && !call ? " after " + ms(took) : "") + " · line " + out.line }));
        li.appendChild(textBlock(out.text || ""));
      }
      var here = exact ? lines(e).indexOf(divergeLine) >= 0 : Math.max.apply(null, lines(e)) >= divergeLine;
      if (!marked && divergeLine >= 0 && here) {
        li.className += " divergent";
        li.id = "divergence-line";
        marked = true;
      }
      ol.appendChild(li);
    });
    return ol;
  }

  // ---- comparison view ----
  function compareView(c, app, params) {
    app.appendChild(el("h1", { text: "Comparison" }));
    app.appendChild(el("p", { cls: "muted", text: "baseline " + c.a + " → candidate " + c.b + " (pass@" + c.k + ")" }));
    app.appendChild(el("div", { cls: "cards" }, [card("regressed", c.regressed, "c-regressed"), card("fixed", c.fixed, "c-fixed"),
      card("new", c.new, "c-new"), card("missing", c.missing, "c-missing"), card("unchanged", c.unchanged, "c-unchanged")]));
    var A = c.totals_a, B = c.totals_b;
    function tok(t) { return t.input_tokens + t.output_tokens; }
    var rows = [
      ["scenarios passed", A.passed_scenarios + " / " + A.scenarios, B.passed_scenarios + " / " + B.scenarios, signed(B.passed_scenarios - A.passed_scenarios, num)],
      ["pass@1", A.pass_at_1.toFixed(3), B.pass_at_1.toFixed(3), signed(B.pass_at_1 - A.pass_at_1, function (x) { return x.toFixed(3); })],
      ["tokens", num(tok(A)), num(tok(B)), signed(tok(B) - tok(A), num)],
      ["cost", usd(A.cost_usd), usd(B.cost_usd), A.cost_usd !== null && B.cost_usd !== null && A.cost_usd !== undefined && B.cost_usd !== undefined ? signed(B.cost_usd - A.cost_usd, usd) : ""],
      ["run time (sum)", ms(A.duration_ms), ms(B.duration_ms), signed(B.duration_ms - A.duration_ms, ms)]
    ];
    app.appendChild(el("div", { cls: "table-wrap" }, [el("table", {}, [el("thead", {}, [el("tr", {}, ["", "baseline", "candidate", "Δ"].map(function (h) { return el("th", { text: h }); }))]),
      el("tbody", {}, rows.map(function (r) { return el("tr", {}, r.map(function (v, i) { return el("td", { cls: i ? "num" : "", text: String(v) }); })); }))])]));
    app.appendChild(el("h2", { text: "Scenarios (regressions first)" }));
    var text = el("input", { type: "search", placeholder: "filter: scenario id", "aria-label": "filter", value: params.filter || "" });
    var change = select("change", ["regressed", "fixed", "new", "missing", "unchanged"], params.change);
    var shownNote = el("span", { cls: "muted" });
    app.appendChild(el("div", { cls: "controls" }, [text, change, shownNote]));
    function side(s) { return s ? s.status + (s.runs > 1 ? " (" + s.passes + "/" + s.runs + ")" : "") : "—"; }
    function d(s, k) { return s.delta ? s.delta[k] : null; }
    var t = table([
      { label: "scenario", get: function (s) { return s.id; }, cls: function () { return "id"; } },
      { label: "change", get: function (s) { return s.change; }, cls: function (s) { return "status c-" + s.change; } },
      { label: "baseline", get: function (s) { return side(s.a); } },
      { label: "candidate", get: function (s) { return side(s.b); } },
      { label: "Δ tokens", num: true, get: function (s) { return d(s, "tokens"); }, show: function (s) { return signed(d(s, "tokens"), num); } },
      { label: "Δ cost", num: true, narrow: true, get: function (s) { return d(s, "cost_usd"); }, show: function (s) { return signed(d(s, "cost_usd"), usd); } },
      { label: "Δ duration", num: true, get: function (s) { return d(s, "duration_ms"); }, show: function (s) { return signed(d(s, "duration_ms"), ms); } }
    ], c.scenarios, function (s) { return el("pre", { text: JSON.stringify({ baseline: s.a, candidate: s.b }, null, 2) }); });
    app.appendChild(t.node);
    function apply() {
      var q = text.value.toLowerCase(), ch = change.value;
      var shown = t.filter(function (s) { return (!ch || s.change === ch) && (!q || s.id.toLowerCase().indexOf(q) >= 0); });
      shownNote.textContent = shown + " of " + t.count + " shown";
      check.rows = t.count;
      check.visible_rows = shown;
    }
    [text, change].forEach(function (x) { x.addEventListener("input", apply); });
    apply();
    if (params.open) t.open(function (s) { return params.open === "all" || s.id === params.open; });
  }

  var check = { kind: null, rows: 0, visible_rows: 0, errors: errors, render_ms: null, since_navigation_ms: null };
  function render() {
    var app = document.getElementById("app");
    var params = hashParams();
    app.textContent = "";
    try {
      var data = JSON.parse(document.getElementById("report-data").textContent);
      check.kind = data.kind;
      if (data.kind === "batch") {
        var i = params.session === undefined ? -1 : Number(params.session);
        var s = data.batch.scenarios[i];
        if (s && s.session) sessionView(s.session, app, true);
        else batchView(data.batch, app, params);
      } else if (data.kind === "session") sessionView(data.session, app, false);
      else if (data.kind === "compare") compareView(data.compare, app, params);
      else throw new Error("unknown report kind " + data.kind);
    } catch (e) {
      errors.push(String(e && e.stack || e));
      app.appendChild(el("pre", { cls: "s-fail", text: "The report could not be drawn: " + e }));
    }
    check.render_ms = Math.round(performance.now() - started);
    check.since_navigation_ms = Math.round(performance.now());
    var out = document.getElementById("report-selfcheck") || el("pre", { id: "report-selfcheck", hidden: "" });
    out.textContent = JSON.stringify(check);
    document.body.appendChild(out);
  }
  window.addEventListener("hashchange", function () { started = performance.now(); render(); window.scrollTo(0, 0); });
  render();
})();
