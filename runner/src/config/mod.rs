//! Codex-compatible configuration: config.toml, profiles, -c overrides, .env, providers.
