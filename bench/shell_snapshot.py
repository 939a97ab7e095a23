#!/usr/bin/env python3
"""Shell snapshot cost, side by side: 200 shell-call scenarios in one `rcodex batch` with the
snapshot on and off, and `codex exec` 0.169.0 once per scenario with its own shell snapshot on and
off (a sample, extrapolated). All model traffic goes to `rcodex mock` on 127.0.0.1; the login
shell is this machine's own (`bash -l` reads the real profile of $HOME). Prints markdown.

    python3 bench/shell_snapshot.py [--scenarios 200] [--sample 20] [--jobs 2]

Rows:
- `bash -c` (no login shell): the same call with `login = false`, i.e. the command itself plus
  the harness — the floor the snapshot is compared with ("beyond the command itself").
- snapshot on / off: the model's default `exec_command` call (`bash -lc ls`), rcodex's
  `features.shell_snapshot` on or off (set per scenario with `config = {...}`).
- codex exec: one process per scenario, `--enable` / `--disable shell_snapshot`.

Needs a release build (`cargo build --release -p rcodex-runner`); installs codex into
bench/.cache on first use (see bench.py) unless CODEX_BIN names one.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from bench import RCODEX, Mock, measured, write_config  # noqa: E402

# CODEX_BIN=/path/to/codex uses a Codex 0.169.0 binary you already have.
CODEX = Path(os.environ.get("CODEX_BIN", bench.CODEX))

SHELL_CALL = '[[reply]]\nfunction_call = { name = "exec_command", arguments = { cmd = "ls" } }\n[[reply]]\nmessage = "Done."\n'


def gen(dirpath, n, login, snapshot):
    """n scenarios, each one `exec_command ls` then an answer."""
    dirpath.mkdir(parents=True, exist_ok=True)
    args = 'cmd = "ls"' + ("" if login else ", login = false")
    config = "" if snapshot else 'config = { "features.shell_snapshot" = false }\n'
    for i in range(n):
        (dirpath / f"s{i:04}.toml").write_text(
            f'name = "s{i}"\nprompt = "ls {i}"\n{config}[workspace.files]\n"a.txt" = "x"\n'
            f'[[model.reply]]\nfunction_call = {{ name = "exec_command", arguments = {{ {args} }} }}\n'
            f'[[model.reply]]\nmessage = "done {i}"\n[expect]\nfinal_message = "done {i}"\nrequests = 2\n'
            f'[[expect.request]]\nindex = 2\npointer = "/input/5/output"\ncontains = "a.txt"\n')


def batch_row(tmp, n, jobs, label, login, snapshot):
    sc = Path(tmp) / f"sc-{label}"
    gen(sc, n, login, snapshot)
    out = Path(tmp) / f"out-{label}"
    wall, cpu, rss, code = measured([str(RCODEX), "batch", str(sc), "-j", str(jobs), "--out", str(out)], cwd=tmp,
                                    stdin=subprocess.DEVNULL)
    return {"runner": f"rcodex batch -j {jobs}, {label}", "n": n, "wall": wall, "cpu": cpu, "rss": rss, "code": code}


def exec_rows(client, flag, sample, n, tmp):
    """`client exec` once per scenario (sample runs, extrapolated to n)."""
    walls, cpus, rsss, fails = [], [], [], 0
    home = Path(tmp) / f"home-{client}-{flag}"
    for _ in range(sample):
        with tempfile.TemporaryDirectory() as t2:
            mock = Mock(SHELL_CALL, t2)
            write_config(home, mock.base_url)
            work = Path(t2) / "work"
            work.mkdir()
            (work / "a.txt").write_text("x\n")
            env = dict(os.environ, CODEX_HOME=str(home), MOCK_API_KEY="dummy")
            if client == "codex":
                cmd = [str(CODEX), "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
                       "--disable", "plugins", f"--{flag}", "shell_snapshot", "-C", str(work), "go"]
            else:
                value = "true" if flag == "enable" else "false"
                cmd = [str(RCODEX), "exec", "--json", "--skip-git-repo-check", "-s", "danger-full-access",
                       "-c", f"features.shell_snapshot={value}", "-C", str(work), "go"]
            w, c, r, code = measured(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL)
            fails += code != 0 or mock.requests() != 2
            mock.stop()
            walls.append(w), cpus.append(c), rsss.append(r)
    w, c = statistics.mean(walls), statistics.mean(cpus)
    state = "on" if flag == "enable" else "off"
    return {"runner": f"{client} exec per scenario, snapshot {state} (sample of {sample}, extrapolated)", "n": n,
            "wall": w * n, "cpu": c * n, "rss": max(rsss), "code": f"{sample - fails}/{sample} ok"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenarios", type=int, default=200)
    p.add_argument("--sample", type=int, default=20)
    p.add_argument("--jobs", type=int, default=2)
    a = p.parse_args()
    if not RCODEX.exists() or not CODEX.exists():
        bench.install()
    n = a.scenarios
    t0 = time.perf_counter()
    subprocess.run(["bash", "-lc", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    login_ms = (time.perf_counter() - t0) * 1000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        floor = batch_row(tmp, n, a.jobs, "bash -c (no login shell)", login=False, snapshot=True)
        on = batch_row(tmp, n, a.jobs, "bash -lc, snapshot on", login=True, snapshot=True)
        off = batch_row(tmp, n, a.jobs, "bash -lc, snapshot off", login=True, snapshot=False)
        rows += [floor, on, off]
        for client in ["rcodex", "codex"]:
            for flag in ["enable", "disable"]:
                rows.append(exec_rows(client, flag, a.sample, n, tmp))
    print(f"`bash -lc true` on this host: {login_ms:.0f} ms (the login profile every `-lc` call pays)\n")
    print("| runner | scenarios | wall s | CPU s | per scenario (wall) | per scenario (CPU) | max RSS MiB | exit |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['runner']} | {r['n']} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['wall']/r['n']*1000:.2f} ms | "
              f"{r['cpu']/r['n']*1000:.2f} ms | {r['rss']:.1f} | {r['code']} |")
    print()
    per = lambda r, k: r[k] / r["n"] * 1000  # noqa: E731
    print(f"- snapshot on, beyond the command itself (vs `bash -c`): {per(on, 'wall') - per(floor, 'wall'):+.2f} ms wall, "
          f"{per(on, 'cpu') - per(floor, 'cpu'):+.2f} ms CPU per scenario (target ≤ 5 ms)")
    print(f"- snapshot off, beyond the command itself: {per(off, 'wall') - per(floor, 'wall'):+.2f} ms wall, "
          f"{per(off, 'cpu') - per(floor, 'cpu'):+.2f} ms CPU per scenario")


if __name__ == "__main__":
    main()
