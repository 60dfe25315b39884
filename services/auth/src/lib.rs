//! Who a call comes from, and whether it may be made.
//!
//! Layout: [`verify`] (a bearer token checked against the issuer's keys, refused with a
//! reason and a message), [`keys`] (the issuer's JWKS from a file or its OpenID
//! discovery document, cached, refreshed when a key id is unknown), [`caller`] (the
//! caller's principal, roles and actors, from configurable claims), [`policy`] (the
//! table of every RPC against every role), [`gate`] (what the RPC layer calls for each
//! call),
//! [`config`] (the flags), [`dev`] (a development issuer: a key file and minted
//! tokens) and [`dev_tls`] (a throwaway certificate authority), [`error`] (the
//! refusals, mapped to gRPC statuses in one place).
#![forbid(unsafe_code)]

pub mod caller;
pub mod config;
pub mod dev;
pub mod dev_tls;
pub mod error;
pub mod gate;
pub mod keys;
pub mod policy;
pub mod verify;

pub use caller::{Caller, ClaimNames};
pub use config::AuthArgs;
pub use error::{AuthError, Reason};
pub use gate::Gate;
pub use policy::Role;
pub use verify::Verifier;
