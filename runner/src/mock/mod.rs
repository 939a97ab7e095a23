//! Scripted model server: plays scripted replies as real Responses SSE over loopback.
