//! The gRPC edge: wire requests become domain commands here ([`parse`]), and the
//! service ([`service`]) hands them to the writer.

pub mod parse;
pub mod service;

pub use service::IntakeService;
