//! The deployment's documents say what its files do: every `docker build` command in
//! the README, the deploy/ documents and the Dockerfile's own comments names a stage the
//! Dockerfile has and only build arguments it declares, and so does compose.yaml; each
//! service's stage copies the binary the builder makes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value after `flag` in each of `words` (`--target intake` or `--target=intake`).
fn values_of<'a>(words: &[&'a str], flag: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if *w == flag {
            if let Some(v) = words.get(i + 1) {
                found.push(*v);
            }
        } else if let Some(v) = w.strip_prefix(&format!("{flag}=")) {
            found.push(v);
        }
    }
    found
}

#[test]
fn documented_image_builds_match_the_dockerfile() {
    let dockerfile = read("deploy/Dockerfile");
    let stages: BTreeSet<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .filter_map(|l| l.split(" AS ").nth(1))
        .map(str::trim)
        .collect();
    assert_eq!(
        stages,
        BTreeSet::from(["builder", "intake", "projection", "runtime"]),
        "{dockerfile}"
    );
    let args: BTreeSet<&str> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("ARG "))
        .map(|a| a.split('=').next().unwrap().trim())
        .collect();
    // The last stage is what a build without --target gives: a service, not a base.
    let last = dockerfile
        .lines()
        .rfind(|l| l.starts_with("FROM "))
        .unwrap();
    assert!(last.ends_with(" AS projection"), "{last}");
    // Each service's stage copies what the builder installs, and runs it.
    for service in ["intake", "projection"] {
        let binary = format!("/out/saman-{service}");
        assert!(
            dockerfile.contains(&format!(
                "install -D -m 0755 target/release/saman-{service} {binary}"
            )),
            "the builder does not install {binary}"
        );
        assert!(
            dockerfile.contains(&format!(
                "COPY --from=builder {binary} /usr/local/bin/saman-{service}"
            )),
            "the {service} stage does not copy {binary}"
        );
        assert!(
            dockerfile.contains(&format!("ENTRYPOINT [\"/usr/local/bin/saman-{service}\"]")),
            "the {service} stage does not run its binary"
        );
    }

    // Every documented `docker build`, wherever it is written (a command may go on over
    // a line ending in `\` or, in the Dockerfile's comments, a `#` line).
    let mut builds = 0;
    for doc in [
        "README.md",
        "deploy/README.md",
        "deploy/Dockerfile",
        "docs/operations.md",
    ] {
        let text = read(doc).replace("\\\n#", " ").replace("\\\n", " ");
        for line in text.lines().filter(|l| l.contains("docker build ")) {
            let command = &line[line.find("docker build ").unwrap()..];
            let words: Vec<&str> = command
                .split_whitespace()
                .map(|w| w.trim_matches('`'))
                .collect();
            assert!(
                words.windows(2).any(|w| w == ["-f", "deploy/Dockerfile"]),
                "{doc}: {command}"
            );
            for target in values_of(&words, "--target") {
                assert!(
                    stages.contains(target),
                    "{doc}: no stage {target:?}: {command}"
                );
            }
            assert_eq!(values_of(&words, "--target").len(), 1, "{doc}: {command}");
            for arg in values_of(&words, "--build-arg") {
                let name = arg.split('=').next().unwrap();
                assert!(args.contains(name), "{doc}: no ARG {name}: {command}");
            }
            builds += 1;
        }
    }
    assert!(builds >= 4, "{builds} documented builds");

    // compose.yaml builds with the same Dockerfile: its targets and build arguments.
    let compose = read("deploy/compose.yaml");
    let targets: Vec<&str> = compose
        .lines()
        .filter_map(|l| l.trim().strip_prefix("target: "))
        .collect();
    assert!(!targets.is_empty(), "{compose}");
    for target in targets {
        assert!(stages.contains(target), "compose.yaml: no stage {target:?}");
    }
    assert!(
        !compose.contains("args:"),
        "compose.yaml passes build arguments; the Dockerfile declares {args:?}"
    );
}
