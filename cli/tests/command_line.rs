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
