//! A fork: a recorded session replayed up to a request, then handed over to go on as a new
//! thread. The machine is driven by the recording exactly as in a replay (so the history it
//! holds at the cut is checked against the recording), and stops when it sends the cut request.
//! What comes back is that machine, mid-turn, with the request still unsent: the runner sends
//! it to whatever model it is told to, and the thread goes on from there.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::answers::RecordedAnswers;
use super::drive::Driver;
use super::interrupt_marker::recorded_marker;
use super::recorded_ids::RecordedIds;
use super::recording::{prompt_parts, Recording, TurnLine};
use super::session_config::{session_config, tools_called};
use super::{Divergence, RecordedLine, ReplayError};
use crate::ids::{IdKind, IdSource};
use crate::protocol::RolloutLine;
use crate::session::tool_call::call_of;
use crate::session::{Effect, ForkedFrom, ModelSettings, Session, SessionConfig, UserTurn};
use crate::tool_set::{model_facts, typed_tool_specs};

/// Where to cut: request `request` of turn `turn`, both 1-based (`3` is `3.1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkPoint {
    /// 1-based turn of the recording.
    pub turn: usize,
    /// 1-based request within that turn.
    pub request: usize,
}

impl FromStr for ForkPoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let number = |part: &str, what: &str| match part.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "{s:?}: {what} must be a number from 1 (TURN or TURN.REQUEST, e.g. 2 or 2.3)"
            )),
        };
        let (turn, request) = match s.split_once('.') {
            Some((t, r)) => (number(t, "TURN")?, number(r, "REQUEST")?),
            None => (number(s, "TURN")?, 1),
        };
        Ok(ForkPoint { turn, request })
    }
}

impl fmt::Display for ForkPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.turn, self.request)
    }
}

/// What the new thread is, besides the recording.
pub struct ForkOptions {
    /// The new thread's id.
    pub thread_id: String,
    /// Where ids come from after the cut (before it, from the recording).
    pub ids: Box<dyn IdSource>,
    /// Another model from the cut on; `None` keeps the recorded one. Its tools are offered, plus
    /// any tool the recording calls that it lacks (so the recorded history still replays).
    pub model: Option<String>,
    /// Last changes to the machine's configuration (the runner's identity, retry policy...).
    pub configure: Box<dyn FnOnce(&mut SessionConfig)>,
}

/// A forked thread, ready to go on.
pub struct Fork {
    /// The machine, inside the cut turn, its cut request queued but not sent.
    pub session: Session,
    /// The effects it queued from the cut request on, in order; the first sends the request.
    pub held: Vec<Effect>,
    /// The new thread's rollout so far: its `session_meta` (naming the parent and the cut) and
    /// the replayed history, as the machine recorded it.
    pub records: Vec<RolloutLine>,
    /// The prompts of the recorded turns after the cut turn, in order.
    pub later_turns: Vec<UserTurn>,
    /// The recorded answers of every call in the recording.
    pub answers: RecordedAnswers,
    /// Requests replayed before the cut.
    pub replayed_requests: usize,
}

/// Why a recording cannot be forked where asked.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ForkError {
    /// The recording cannot be replayed at all.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The fork point names a turn the recording does not have.
    #[error("--fork-at {at}: the session has {turns} turn(s)")]
    NoSuchTurn {
        /// The fork point asked for.
        at: ForkPoint,
        /// How many turns the recording has.
        turns: usize,
    },
    /// The fork point names a request its turn never sent.
    #[error("--fork-at {at}: turn {} sent {sent} request(s)", at.turn)]
    NoSuchRequest {
        /// The fork point asked for.
        at: ForkPoint,
        /// How many requests that turn sent.
        sent: usize,
    },
    /// The machine parts from the recording before the cut, so the history at the cut is not the
    /// recorded one.
    #[error("the recording diverges before the fork point (line {}): {}", .0.line, .0.what)]
    Diverged(Box<Divergence>),
}

/// Replays `lines` up to `at` and hands the machine over as a new thread.
pub fn fork(
    lines: &[RecordedLine],
    at: ForkPoint,
    options: ForkOptions,
) -> Result<Fork, ForkError> {
    let rec = Recording::read(lines)?;
    if at.turn > rec.turns.len() {
        return Err(ForkError::NoSuchTurn {
            at,
            turns: rec.turns.len(),
        });
    }
    let ForkOptions {
        thread_id,
        ids,
        model,
        configure,
    } = options;
    let mut cfg = session_config(&rec);
    cfg.interrupt_marker = recorded_marker(&rec);
    if let Some(slug) = model {
        switch_model(&mut cfg, &rec, &slug);
    }
    configure(&mut cfg);
    cfg.forked_from = Some(ForkedFrom {
        thread_id: rec.meta.id.clone(),
        turn: at.turn,
        request: at.request,
    });
    cfg.thread_id = Some(thread_id);
    let cut = Arc::new(AtomicBool::new(false));
    let live = Arc::new(Mutex::new(ids));
    let (cut_flag, live_ids) = (cut.clone(), live.clone());
    let mut driver = Driver::with_ids(
        &rec,
        lines,
        cfg,
        Box::new(move |recorded| {
            Box::new(ForkIds {
                recorded,
                live: live_ids.clone(),
                cut: cut_flag.clone(),
            })
        }),
    );
    driver.stop_at(at.turn, at.request);
    for (i, turn) in rec.turns.iter().take(at.turn).enumerate() {
        if !driver.run_turn(i + 1, turn) {
            break;
        }
    }
    if let Some(divergence) = driver.divergence.take() {
        return Err(ForkError::Diverged(Box::new(divergence)));
    }
    let Some(held) = driver.held.take() else {
        let sent = driver.requests.iter().filter(|r| r.turn == at.turn).count();
        return Err(ForkError::NoSuchRequest { at, sent });
    };
    cut.store(true, Ordering::SeqCst);
    let later_turns = rec.turns[at.turn..]
        .iter()
        .filter_map(|t| t.prompt)
        .map(|p| {
            let (text, images) = prompt_parts(p.item);
            UserTurn {
                text,
                images,
                leading_content: Vec::new(),
            }
        })
        .collect();
    Ok(Fork {
        records: driver.records.take().unwrap_or_default(),
        replayed_requests: driver.requests.len(),
        answers: RecordedAnswers::from_recording(&rec),
        session: driver.session,
        held,
        later_turns,
    })
}

/// Another model for the fork: its catalog facts and tools, keeping every recorded tool the
/// recording calls that the new model's set lacks.
fn switch_model(cfg: &mut SessionConfig, rec: &Recording, slug: &str) {
    let facts = model_facts(slug);
    cfg.model = ModelSettings::with_defaults(slug, &facts);
    let recorded = std::mem::take(&mut cfg.tools);
    let mut tools = typed_tool_specs(&facts, &tools_called(rec));
    for spec in recorded {
        if calls(rec, spec.name()) && !tools.iter().any(|t| t.name() == spec.name()) {
            tools.push(spec);
        }
    }
    cfg.tools = tools;
}

/// Whether the recording calls tool `name`.
fn calls(rec: &Recording, name: &str) -> bool {
    rec.turns.iter().flat_map(|t| &t.lines).any(|l| match l {
        TurnLine::Item(r) => call_of(r.item).is_some_and(|(call, _)| call.name == name),
        TurnLine::Usage(_) => false,
    })
}

/// The recording's ids up to the cut, the caller's after it; the new thread's context window
/// is its own from the start.
struct ForkIds {
    recorded: RecordedIds,
    live: Arc<Mutex<Box<dyn IdSource>>>,
    cut: Arc<AtomicBool>,
}

impl ForkIds {
    fn live<T>(&self, draw: impl FnOnce(&mut dyn IdSource) -> T) -> Option<T> {
        let mut live = self.live.lock().ok()?;
        Some(draw(live.as_mut()))
    }

    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

impl IdSource for ForkIds {
    fn id(&mut self, kind: IdKind<'_>, now_ms: u64) -> String {
        let own = matches!(kind, IdKind::Thread | IdKind::ContextWindow);
        if own || self.is_cut() {
            if let Some(id) = self.live(|l| l.id(kind, now_ms)) {
                return id;
            }
        }
        self.recorded.id(kind, now_ms)
    }

    fn uuid_v7(&mut self, now_ms: u64) -> String {
        if self.is_cut() {
            if let Some(id) = self.live(|l| l.uuid_v7(now_ms)) {
                return id;
            }
        }
        self.recorded.uuid_v7(now_ms)
    }

    fn unit(&mut self) -> f64 {
        if self.is_cut() {
            if let Some(u) = self.live(|l| l.unit()) {
                return u;
            }
        }
        self.recorded.unit()
    }

    fn chunk_id(&mut self) -> String {
        if self.is_cut() {
            if let Some(id) = self.live(|l| l.chunk_id()) {
                return id;
            }
        }
        self.recorded.chunk_id()
    }
}
