//! The `saman` binary with no service to talk to: its help, its usage errors and what
//! it says when a service is unreachable. (With the services: tests/e2e/tests/cli.rs.)

use std::process::{Command, Output};

/// Runs `saman` with the words of `line` (split on white space).
fn saman(line: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saman"))
        .args(line.split_whitespace())
        .env_remove("SAMAN_AS")
        .output()
        .expect("the saman binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn the_help_lists_examples_and_exit_codes() {
    let out = saman("--help");
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(help.contains("saman scenario 1397"), "{help}");
    assert!(help.contains("Exit codes:\n  0  done"), "{help}");
    let out = saman("watch --help");
    assert!(text(&out.stdout).contains("Example:\n  saman watch zone-03"));
}

#[test]
fn an_incomplete_command_line_exits_2_and_says_what_is_missing() {
    let out = saman("zones --no-such-flag");
    assert_eq!(out.status.code(), Some(2));
    let out = saman("scenario 1398");
    assert_eq!(out.status.code(), Some(2));
    let out = saman("zone register zone-01 --name-en x --name-fa x --goal water:pipes:1:x");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("'pipes' is not an approach"));
    let out = saman("need declare zone-01 --approach social --title x --households 3");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(
        err.trim(),
        "saman: usage: DeclareNeed is made by an NGO member: pass --as member:NGO/MEMBER \
         (e.g. member:ngo-01/m-001) (or set SAMAN_AS)"
    );
    let out = saman("need declare zone-01 --as mayor:x --approach social --title x --households 3");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown role 'mayor'"));
}

#[test]
fn an_unreachable_service_exits_7_naming_it() {
    let nowhere = format!("127.0.0.1:{}", closed_port());
    let out = saman(&format!("--projection {nowhere} zones"));
    assert_eq!(out.status.code(), Some(7));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "saman: unreachable: cannot reach the projection service at {nowhere}"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = saman(&format!(
        "--intake {nowhere} --json agency register water --name-en x --name-fa x"
    ));
    assert_eq!(out.status.code(), Some(7));
    let error: serde_json::Value = serde_json::from_slice(&out.stderr).expect("a JSON error");
    assert_eq!(error["error"]["kind"], "Unreachable");
    assert_eq!(error["error"]["exit_code"], 7);
    assert!(out.stdout.is_empty());

    let out = saman(&format!(
        "events --nats-url nats://{nowhere} --connect-timeout 2s"
    ));
    assert_eq!(out.status.code(), Some(7));
    assert!(text(&out.stderr).contains("cannot reach NATS"));
}

#[test]
fn events_keys_makes_a_signing_key_once_and_prints_the_jwks_intake_and_the_projection_agree_on() {
    let dir = std::env::temp_dir().join(format!("saman-events-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("event-signing-key.pem");
    let line = format!("events keys --generate --signing-key {}", key.display());
    let first = saman(&line);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(text(&first.stderr), format!("made {}\n", key.display()));
    // Again: the key is kept, the same set printed.
    let again = saman(&line);
    assert_eq!(
        (text(&again.stdout), text(&again.stderr)),
        (text(&first.stdout), String::new())
    );

    // The set holds the key intake signs with, under the id intake gives it.
    let signer = saman_contract::EventSigner::read(&key, None).unwrap();
    let keys = saman_contract::EventKeys::from_jwks(&text(&first.stdout)).unwrap();
    assert_eq!(keys, signer.public());
    let [(_, signature), (_, kid)] = signer.sign(b"payload");
    assert_eq!(
        keys.verify(b"payload", Some(&kid), Some(&signature)),
        Ok(())
    );

    // A rotation keeps the old key beside the new one.
    let jwks = dir.join("event-keys.json");
    std::fs::write(&jwks, &first.stdout).unwrap();
    let new = dir.join("new.pem");
    let rotated = saman(&format!(
        "events keys --generate --signing-key {} --keep {}",
        new.display(),
        jwks.display()
    ));
    let both = saman_contract::EventKeys::from_jwks(&text(&rotated.stdout)).unwrap();
    assert_eq!(both.key_ids().count(), 2);
    assert!(both.key_ids().any(|id| id == signer.key_id()));

    // --key-id names a single key.
    let two = saman(&format!(
        "events keys --signing-key {} --signing-key {} --key-id k1",
        key.display(),
        new.display()
    ));
    assert_eq!(two.status.code(), Some(2));
    assert!(
        text(&two.stderr).contains("--key-id names the key of a single --signing-key"),
        "{}",
        text(&two.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn completions_for_each_shell_know_the_commands() {
    for (shell, marker) in [
        ("bash", "_saman()"),
        ("zsh", "#compdef saman"),
        ("fish", "complete -c saman"),
    ] {
        let out = saman(&format!("completions {shell}"));
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {marker}");
        for command in ["zones", "progress", "scenario", "completions", "as-of"] {
            assert!(script.contains(command), "{shell}: {command}");
        }
    }
    // The bash script loads in bash and registers the completion of `saman`.
    let out = saman("completions bash");
    let dir = tempfile_dir();
    let file = dir.join("saman.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let loaded = Command::new("bash")
        .arg("-c")
        .arg("source \"$1\" && complete -p saman")
        .arg("bash")
        .arg(&file)
        .output()
        .expect("bash runs");
    assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    assert!(
        text(&loaded.stdout).contains("_saman"),
        "{}",
        text(&loaded.stdout)
    );
    let out = saman("completions powershell-6");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_manual_has_a_page_per_command() {
    let out = saman("man");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.contains(".TH saman 1"), "{page}");
    assert!(page.contains("scenario"), "{page}");

    let dir = tempfile_dir().join("man1");
    let out = saman(&format!("man --dir {}", dir.display()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(dir.join("saman-progress-report.1")).unwrap();
    assert!(report.contains(".TH saman-progress-report 1"), "{report}");
    assert!(report.contains("\\-\\-as\\-of"), "{report}");
    assert!(report.contains("\\-\\-correction"), "{report}");
    let pages = std::fs::read_dir(&dir).unwrap().count();
    assert!(pages > 40, "{pages} pages");
}

/// A fresh directory under the target directory's temporary space.
fn tempfile_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("manual-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
