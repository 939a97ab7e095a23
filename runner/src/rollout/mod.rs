//! Rollout files on disk: writing Codex's JSONL as the core records it, and reading one back
//! (ours or Codex's) to resume a thread.

mod flat_records;
mod latest;
mod layout;
mod payload_shapes;
mod reader;
mod recorded;
mod writer;

pub use latest::{find_latest_rollout, rollout_cwd};
pub use layout::Layout;
pub use reader::{find_rollout, read_rollout, RolloutHistory, RolloutReadError};
pub use recorded::{read_recorded, RecordedRollout, Writer};
pub use writer::{rollout_path, RolloutWriter};
