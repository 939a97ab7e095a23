//! Head+tail truncation of tool output at a token budget, as Codex does it.
