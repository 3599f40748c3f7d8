//! Sync between two replicas of one vault, as a pure state machine.
//!
//! A [`Session`] drives Automerge's sync protocol with one peer, ping-pong: one side speaks, the
//! other answers only after applying. Bytes and `now` go in; frames to send and events come out.
//! It knows nothing of sockets, tasks, disks or clocks, so the same code runs over QUIC in the
//! daemon and over a seeded, lossy in-memory network in the simulator.
//!
//! Wire format (version 3): see [`frame`]. Every limit a peer could push on us is in [`Limits`].
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod browser;
pub mod bundle;
pub mod frame;
pub mod invite;
mod limits;
mod session;
pub mod whole;

pub use frame::{Frame, FrameDecoder, FrameError, Hello, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION};
pub use limits::Limits;
pub use session::{
    push_frame, Event, Role, Session, SessionError, SessionStats, CLONE_VAULT, MAX_PUSH_BYTES,
    MAX_PUSH_CHANGES,
};

pub mod pairing;
