//! The fifteen writes of the intake API as one type, so the write subcommands and the
//! scenario send them the same way: put the submission header in
//! (`with_submission`), call the RPC (`send`). The list of writes, and this type made
//! from it, are `saman_proto::writes`, which intake serves from too.

/// One write request of any kind, its submission header still to be filled in.
pub use saman_proto::writes::Write as Request;
