//! Generates the Rust code of the contract with protox, so a fresh clone builds with
//! cargo alone (no `protoc` on the machine).
use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &[
    "saman/events/v1/events.proto",
    "saman/intake/v1/intake.proto",
    "saman/projection/v1/projection.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(PROTOS, ["."])?;
    // `compile_fds` ignores `file_descriptor_set_path`: write the set for reflection here.
    let out = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out.join("saman_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
