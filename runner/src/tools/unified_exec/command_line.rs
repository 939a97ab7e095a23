//! Turns the model's `cmd` into the argv that runs it (`[shell, "-lc" | "-c", cmd]`) and into the
//! one-line form Codex shows in events, e.g. `/bin/bash -lc 'ls -la'`.

use rcodex_core::session::tool_call::join_command;

use super::args::ExecCommandArgs;
use super::config::ExecConfig;

/// The argv for an `exec_command` call.
pub fn command_argv(args: &ExecCommandArgs, config: &ExecConfig) -> Vec<String> {
    let shell = args
        .shell
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(&config.default_shell);
    let login = args.login.unwrap_or(config.login_default);
    let flag = if login { "-lc" } else { "-c" };
    vec![shell.to_string(), flag.to_string(), args.cmd.clone()]
}

/// The argv joined with POSIX shell quoting where a word needs it: the core's quoting, so the
/// runner's tool results and the core's `--json` events show a command the same way.
pub fn display_command(argv: &[String]) -> String {
    join_command(&argv.iter().map(String::as_str).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(json: &str) -> ExecCommandArgs {
        ExecCommandArgs::parse(json).unwrap()
    }

    #[test]
    fn login_shell_by_default() {
        let config = ExecConfig::new("/tmp");
        let argv = command_argv(&args(r#"{"cmd":"ls -la"}"#), &config);
        assert_eq!(argv, ["/bin/bash", "-lc", "ls -la"]);
        assert_eq!(display_command(&argv), "/bin/bash -lc 'ls -la'");
    }

    #[test]
    fn shell_and_login_from_the_model() {
        let config = ExecConfig::new("/tmp");
        let argv = command_argv(
            &args(r#"{"cmd":"echo hi","shell":"/bin/sh","login":false}"#),
            &config,
        );
        assert_eq!(argv, ["/bin/sh", "-c", "echo hi"]);
    }

    #[test]
    fn quoting_of_awkward_words() {
        let argv = |cmd: &str| vec!["/bin/bash".to_string(), "-lc".to_string(), cmd.to_string()];
        assert_eq!(display_command(&argv("true")), "/bin/bash -lc true");
        assert_eq!(
            display_command(&argv("echo 'a b'")),
            "/bin/bash -lc 'echo '\"'\"'a b'\"'\"''"
        );
        assert_eq!(display_command(&argv("a=b,c%")), "/bin/bash -lc a=b,c%");
        assert_eq!(display_command(&argv("")), "/bin/bash -lc ''");
        assert_eq!(
            display_command(&argv("echo $HOME")),
            "/bin/bash -lc 'echo $HOME'"
        );
    }
}
