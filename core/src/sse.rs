//! Incremental Server-Sent Events frame decoder (pure; the runner feeds it bytes).
