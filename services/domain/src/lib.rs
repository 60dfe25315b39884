//! The domain of Saman, free of I/O: nothing here reads a clock, a file or a socket.
//!
//! Layout:
//! - [`calendar`]: days in the Solar Hijri and ISO calendars, instants in Asia/Tehran;
//! - [`values`]: values parsed at the edge (codes, texts, percents, ids ...);
//! - [`actor`]: who acts, and in which role;
//! - [`command`]: what a user asks for (imperative: `DeclareNeed`);
//! - [`event`]: what happened (past tense: `NeedDeclared`), with type names and versions;
//! - [`stream`]: stream ids (one per aggregate);
//! - [`time`]: which time the rules judge an act by (its claimed time when vouched for);
//! - [`world`]: every aggregate's state, folded from events (`apply`, no rules);
//! - [`decide`]: the programme's rules, command + state -> events or [`DomainError`];
//! - [`error`]: the one error type of the domain.
#![forbid(unsafe_code)]

pub mod actor;
pub mod calendar;
pub mod command;
pub mod decide;
pub mod error;
pub mod event;
pub mod progress;
pub mod stream;
pub mod time;
pub mod values;
pub mod world;

pub use actor::Actor;
pub use calendar::Day;
pub use command::{Command, CommandBody, Meta};
pub use decide::Decided;
pub use error::DomainError;
pub use event::Event;
pub use stream::StreamId;
pub use world::World;
