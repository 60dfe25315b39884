//! The contract guarded: `buf lint` finds nothing in proto/ (with the exceptions
//! buf.yaml names and explains), and `buf breaking`, which scripts/test runs against
//! the previous commit, refuses a change that breaks clients: tried here on a copy of
//! the contract with a field deleted and one renumbered.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the buf of tests/buf (npm's @bufbuild/buf) in the repository's root: whether
/// it succeeded, and what it said.
fn buf(args: &[&str]) -> anyhow::Result<(bool, String)> {
    let bin = root().join("tests/buf/node_modules/.bin/buf");
    let out = Command::new(&bin)
        .args(args)
        .current_dir(root())
        .output()
        .with_context(|| {
            format!(
                "{}: buf is missing: run scripts/install-deps (npm ci in tests/buf)",
                bin.display()
            )
        })?;
    Ok((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// A copy of proto/'s .proto files under a fresh directory of the target's.
fn copy_of_the_contract(name: &str) -> anyhow::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("contract-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    for file in [
        "saman/events/v1/events.proto",
        "saman/intake/v1/intake.proto",
        "saman/projection/v1/projection.proto",
    ] {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap())?;
        std::fs::copy(root().join("proto").join(file), &to).with_context(|| file.to_owned())?;
    }
    // The repository's buf.yaml, for a module at the copy's root.
    let config = std::fs::read_to_string(root().join("buf.yaml"))?;
    anyhow::ensure!(config.contains("  - path: proto\n"), "buf.yaml: {config}");
    std::fs::write(
        dir.join("buf.yaml"),
        config.replace("  - path: proto\n", "  - path: .\n"),
    )?;
    Ok(dir)
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) -> anyhow::Result<()> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)?;
    anyhow::ensure!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1))?;
    Ok(())
}

#[test]
fn buf_lint_finds_nothing_and_buf_breaking_refuses_a_breaking_change() -> anyhow::Result<()> {
    let (ok, said) = buf(&["lint"])?;
    assert!(ok, "buf lint: {said}");

    // The contract against itself: nothing breaks.
    let same = copy_of_the_contract("same")?;
    let (ok, said) = buf(&["breaking", same.to_str().unwrap(), "--against", "proto"])?;
    assert!(ok, "an unchanged contract: {said}");

    // A field deleted, another renumbered: both refused, by name.
    let broken = copy_of_the_contract("broken")?;
    edit(
        &broken,
        "saman/projection/v1/projection.proto",
        "message Named {\n  string code = 1;\n  Names name = 2;\n}",
        "message Named {\n  string code = 1;\n}",
    )?;
    edit(
        &broken,
        "saman/intake/v1/intake.proto",
        "string submission_id = 1;",
        "string submission_id = 99;",
    )?;
    let (ok, said) = buf(&["breaking", broken.to_str().unwrap(), "--against", "proto"])?;
    assert!(!ok, "a breaking change passed: {said}");
    assert!(
        said.contains(
            "Previously present field \"2\" with name \"name\" on message \"Named\" was deleted"
        ),
        "{said}"
    );
    assert!(said.contains("submission_id"), "{said}");

    // And the lint refuses a field name against the style, with buf.yaml's exceptions.
    let (ok, said) = buf(&["lint", same.to_str().unwrap()])?;
    assert!(ok, "the copy with buf.yaml: {said}");
    let unlinted = copy_of_the_contract("unlinted")?;
    edit(
        &unlinted,
        "saman/projection/v1/projection.proto",
        "message Named {\n  string code = 1;",
        "message Named {\n  string zoneCode = 3;\n  string code = 1;",
    )?;
    let (ok, said) = buf(&["lint", unlinted.to_str().unwrap()])?;
    assert!(!ok, "a camelCase field passed the lint: {said}");
    assert!(said.contains("zoneCode"), "{said}");
    Ok(())
}
