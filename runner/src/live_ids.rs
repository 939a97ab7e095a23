//! The id source for live runs: UUIDv7 from the real clock and OS randomness. Batch and tests
//! hand the core a seeded source instead; the core never draws ids on its own.

use rcodex_core::ids::{format_uuid_v7, IdSource};

/// Random ids for live sessions.
#[derive(Debug, Default)]
pub struct LiveIds;

impl IdSource for LiveIds {
    fn uuid_v7(&mut self, now_ms: u64) -> String {
        let r = uuid::Uuid::new_v4().as_u128();
        format_uuid_v7(now_ms, (r >> 64) as u64, r as u64)
    }

    fn unit(&mut self) -> f64 {
        let r = uuid::Uuid::new_v4().as_u128() as u64;
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
}
