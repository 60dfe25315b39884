//! The contract of Saman, generated from the `.proto` files beside this crate.
//!
//! Layout:
//! - [`events::v1`]: the event schema; `Envelope` is both the stored event and the
//!   NATS payload (see `docs/events.md` for subjects and headers);
//! - [`intake::v1`]: the write API served by the intake service;
//! - [`projection::v1`]: the read API served by the projection service;
//! - [`writes`]: the list of intake's writes, once, and the request type, client calls
//!   and server methods made from it;
//! - [`FILE_DESCRIPTOR_SET`]: the encoded descriptors, for gRPC server reflection.
#![allow(clippy::all, clippy::pedantic)]

pub mod events {
    pub mod v1 {
        tonic::include_proto!("saman.events.v1");
    }
}

pub mod intake {
    pub mod v1 {
        tonic::include_proto!("saman.intake.v1");
    }
}

pub mod projection {
    pub mod v1 {
        tonic::include_proto!("saman.projection.v1");
    }
}

pub mod writes;

/// Encoded `FileDescriptorSet` of every Saman proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("saman_descriptor");
