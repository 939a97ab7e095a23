#!/usr/bin/env python3
"""rcodex benchmarks, side by side with codex exec 0.169.0 and pycodex 0.5.1 on the same scripted
scenarios (all traffic on loopback). Prints markdown tables.

    python3 bench/bench.py exec   [--runs 10]   # wall, time to first request, peak RSS per client
    python3 bench/bench.py batch                # rcodex batch throughput vs codex exec per scenario
    python3 bench/bench.py tools                # exec_command overhead, 1 GB output, orphans

Needs a release build (`cargo build --release -p rcodex-runner`), and installs the reference
clients into bench/.cache on first use (npm and pip, pinned versions).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RCODEX = ROOT / "target" / "release" / "rcodex"
CODEX = CACHE / "codex" / "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"
PYC = CACHE / "pycodex"

SCRIPTS = {
    "a": '[[reply]]\nmessage = "Hello there."\n',
    "b": '[[reply]]\nfunction_call = { name = "exec_command", arguments = { cmd = "ls" } }\n[[reply]]\nmessage = "Done."\n',
}


def install():
    if not RCODEX.exists():
        subprocess.run(["cargo", "build", "--release", "-p", "rcodex-runner", "--bin", "rcodex"], cwd=ROOT, check=True)
    if not CODEX.exists():
        (CACHE / "codex").mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(CACHE / "codex"), "@openai/codex@0.169.0"], check=True)
    if not (PYC / "pycodex").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(PYC), "python-codex==0.5.1"], check=True)


class Mock:
    """`rcodex mock` on a free port, logging requests to files (with their arrival time)."""

    def __init__(self, script_text, workdir):
        self.dir = Path(workdir)
        self.log = self.dir / "log"
        self.log.mkdir(parents=True, exist_ok=True)
        script = self.dir / "script.toml"
        script.write_text(script_text)
        self.proc = subprocess.Popen([str(RCODEX), "mock", "--script", str(script), "--port", "0", "--log-dir", str(self.log)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base_url = self.proc.stdout.readline().strip()

    def first_request_ns(self):
        f = self.log / "request-001.json"
        return json.loads(f.read_text())["received_unix_ns"] if f.exists() else None

    def requests(self):
        return len(list(self.log.glob("request-*.json")))

    def stop(self):
        self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def write_config(home, base_url):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "gpt-5.5"\nmodel_provider = "mock"\n[model_providers.mock]\nname = "Mock Responses"\n'
        f'base_url = "{base_url}"\nwire_api = "responses"\nenv_key = "MOCK_API_KEY"\n')


def command(client, home, work, prompt):
    if client == "rcodex":
        return [str(RCODEX), "exec", "--json", "--skip-git-repo-check", "-s", "danger-full-access", "-C", str(work), prompt]
    if client == "codex":
        return [str(CODEX), "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
                "--disable", "plugins", "--disable", "shell_snapshot", "-C", str(work), prompt]
    return [sys.executable, "-m", "pycodex", "--config", str(home / "config.toml"), "--json", prompt]


def measured(cmd, **kw):
    """Runs cmd under /usr/bin/time (a small parent, so max RSS is the command's own).
    Returns (wall s, user+sys s, max RSS MiB, exit code)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M %U %S", *cmd],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        wall = time.perf_counter() - t0
        rss_kb, user, sys_ = tf.read().strip().splitlines()[-1].split()
    return wall, float(user) + float(sys_), int(rss_kb) / 1024, proc.returncode


def run_once(client, scenario, home, tmp):
    """One measured run: (wall s, first request ms, max RSS MiB, user+sys s, ok).
    Wall and first-request time come from a direct spawn; RSS and CPU from a second run under
    /usr/bin/time (whose own spawn would otherwise be counted in the times)."""
    out = []
    for under_time in (False, True):
        sub = Path(tmp) / ("t" if under_time else "d")
        sub.mkdir()
        mock = Mock(SCRIPTS[scenario], sub)
        write_config(home, mock.base_url)
        work = sub / "work"
        work.mkdir()
        (work / "a.txt").write_text("x\n")
        env = dict(os.environ, CODEX_HOME=str(home), MOCK_API_KEY="dummy", PYTHONPATH=str(PYC))
        cmd = command(client, home, work, "list the files")
        start_ns = time.time_ns()
        if under_time:
            _, cpu, rss, code = measured(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL)
        else:
            proc = subprocess.run(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall, code = (time.time_ns() - start_ns) / 1e9, proc.returncode
            first = mock.first_request_ns()
            first = None if first is None else (first - start_ns) / 1e6
        ok = code == 0 and mock.requests() == (1 if scenario == "a" else 2)
        mock.stop()
        out.append(ok)
    return wall, first, rss, cpu, all(out)


def med(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return f"{statistics.median(xs):.3g} ({min(xs):.3g}–{max(xs):.3g})"


def bench_exec(runs):
    install()
    print(f"| scenario | client | wall ms | 1st request ms | max RSS MiB | user+sys ms | ok |")
    print("|---|---|---|---|---|---|---|")
    for scenario in ["a", "b"]:
        for client in ["rcodex", "codex", "pycodex"]:
            home = Path(tempfile.mkdtemp(prefix=f"bench-{client}-home-"))
            rows = []
            for i in range(runs + 1):
                with tempfile.TemporaryDirectory() as tmp:
                    r = run_once(client, scenario, home, tmp)
                if i > 0:
                    rows.append(r)
            shutil.rmtree(home, ignore_errors=True)
            print(f"| {scenario} | {client} | {med([r[0]*1000 for r in rows])} | {med([r[1] for r in rows])} | "
                  f"{med([r[2] for r in rows])} | {med([r[3]*1000 for r in rows])} | {sum(r[4] for r in rows)}/{len(rows)} |", flush=True)


def gen_scenarios(dirpath, n, kind):
    dirpath.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        if kind == "no-tool":
            text = f'name = "s{i}"\nprompt = "hi {i}"\n[[model.reply]]\nmessage = "hello {i}"\n[expect]\nfinal_message = "hello {i}"\n'
        else:
            text = (f'name = "s{i}"\nprompt = "ls {i}"\n[workspace.files]\n"a.txt" = "x"\n[[model.reply]]\n'
                    f'function_call = {{ name = "exec_command", arguments = {{ cmd = "ls" }} }}\n'
                    f'[[model.reply]]\nmessage = "done {i}"\n[expect]\nfinal_message = "done {i}"\nrequests = 2\n')
        (dirpath / f"s{i:04}.toml").write_text(text)


def timed(cmd, **kw):
    return measured(cmd, **kw)


def bench_batch(codex_sample):
    install()
    print("| workload | runner | scenarios | wall s | CPU s | per scenario (wall) | per scenario (CPU) | max RSS MiB | exit |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    per = {}
    for kind, n in [("no-tool", 1000), ("shell", 200)]:
        with tempfile.TemporaryDirectory() as tmp:
            sc = Path(tmp) / "sc"
            gen_scenarios(sc, n, kind)
            for j in [2, 8]:
                out = Path(tmp) / f"out{j}"
                wall, cpu, rss, code = timed([str(RCODEX), "batch", str(sc), "-j", str(j), "--out", str(out)], cwd=tmp)
                per[(kind, "rcodex", j)] = (wall / n, cpu / n)
                print(f"| {kind} | rcodex batch -j {j} | {n} | {wall:.2f} | {cpu:.2f} | {wall/n*1000:.2f} ms | {cpu/n*1000:.2f} ms | {rss:.1f} | {code} |", flush=True)
            # codex exec once per scenario, as a CI loop would: a sample, extrapolated.
            walls, cpus, rsss = [], [], []
            home = Path(tmp) / "codex-home"
            for i in range(codex_sample):
                with tempfile.TemporaryDirectory() as t2:
                    mock = Mock(SCRIPTS["a" if kind == "no-tool" else "b"], t2)
                    write_config(home, mock.base_url)
                    work = Path(t2) / "work"
                    work.mkdir()
                    env = dict(os.environ, CODEX_HOME=str(home), MOCK_API_KEY="dummy")
                    w, c, r, code = timed(command("codex", home, work, "go"), cwd=work, env=env, stdin=subprocess.DEVNULL)
                    mock.stop()
                    walls.append(w), cpus.append(c), rsss.append(r)
            w, c = statistics.mean(walls), statistics.mean(cpus)
            per[(kind, "codex")] = (w, c)
            print(f"| {kind} | codex exec per scenario (sample of {codex_sample}, extrapolated) | {n} | {w*n:.1f} | {c*n:.1f} | {w*1000:.1f} ms | {c*1000:.1f} ms | {max(rsss):.1f} | – |", flush=True)
    print()
    for kind in ["no-tool", "shell"]:
        for j in [2, 8]:
            rw, rc = per[(kind, "rcodex", j)]
            cw, cc = per[(kind, "codex")]
            print(f"- {kind}, -j {j}: rcodex is {cw/rw:.0f}x cheaper per scenario in wall time, {cc/rc:.0f}x in CPU time")


def bench_tools():
    install()
    r = subprocess.run(["cargo", "test", "--release", "-q", "-p", "rcodex-runner", "--lib", "unified_exec::bench", "--", "--ignored", "--nocapture"],
                       cwd=ROOT, capture_output=True, text=True)
    print("\n".join(l for l in r.stdout.splitlines() if l.startswith("|")))
    # Orphans: 100 runs of `sleep 100 & sleep 100` through rcodex exec, each interrupted.
    marker = f"sleep 100.{os.getpid() % 1000:03d}"
    script = ('[[reply]]\nfunction_call = { name = "exec_command", arguments = { cmd = "' + marker + ' & ' + marker +
              '", yield_time_ms = 250, login = false } }\n[[reply]]\nmessage = "gave up"\n')
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        work = Path(tmp) / "work"
        work.mkdir()
        for i in range(100):
            with tempfile.TemporaryDirectory() as t2:
                mock = Mock(script, t2)
                write_config(home, mock.base_url)
                env = dict(os.environ, CODEX_HOME=str(home), MOCK_API_KEY="dummy")
                subprocess.run(command("rcodex", home, work, "wait"), cwd=work, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
                mock.stop()
        time.sleep(0.5)
        left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
        for pid in left:
            os.kill(int(pid), 9)
        print(f"\norphaned processes after 100 runs of `{marker} & {marker}` (yield 250 ms, turn ends): {len(left)}")


def bench_scale(runs):
    """No-tool scenarios at 1,000 and 10,000 in one `rcodex batch -j 2` process: wall, CPU and
    peak RSS, best of `runs` by wall. Each run writes a fresh --out (a re-used one would resume)."""
    print("| scenarios | wall s | CPU s | per scenario (wall) | max RSS MiB | exit |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in [1000, 10000]:
            sc = Path(tmp) / f"sc{n}"
            gen_scenarios(sc, n, "no-tool")
            best = None
            for r in range(runs):
                out = Path(tmp) / f"out{n}-{r}"
                row = timed([str(RCODEX), "batch", str(sc), "-j", "2", "--out", str(out)], cwd=tmp)
                if best is None or row[0] < best[0]:
                    best = row
            wall, cpu, rss, code = best
            print(f"| {n} | {wall:.2f} | {cpu:.2f} | {wall/n*1000:.2f} ms | {rss:.1f} | {code} |", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["exec", "batch", "tools", "scale"])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--codex-sample", type=int, default=20)
    a = p.parse_args()
    {"exec": lambda: bench_exec(a.runs), "batch": lambda: bench_batch(a.codex_sample), "tools": bench_tools,
     "scale": lambda: bench_scale(max(1, min(a.runs, 3)))}[a.what]()
