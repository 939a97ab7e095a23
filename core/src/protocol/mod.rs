//! Codex's wire and disk types (serde), exact to Codex 0.169.0.
//!
//! Field order in every struct is the order Codex puts keys on the wire, so that serialized bodies
//! and rollout lines keep Codex's key order. Unknown variants are kept as raw JSON, never dropped.

mod content_item_de;
pub mod event_msg;
pub mod exec_event;
mod from_json;
pub mod request;
pub mod response_event;
pub mod response_item;
pub mod rollout;
pub mod tool_spec;
pub mod turn_item;
pub mod usage;
mod with_extra;

pub use event_msg::EventMsg;
pub use exec_event::{ThreadEvent, ThreadItem, ThreadItemDetails};
pub use request::ResponsesRequest;
pub use response_event::{ResponseEvent, ResponseEventError};
pub use response_item::{ContentItem, FunctionCallOutputPayload, ResponseItem};
pub use rollout::{RolloutItem, RolloutLine};
pub use tool_spec::ToolSpec;
pub use turn_item::TurnItem;
pub use usage::TokenUsage;
