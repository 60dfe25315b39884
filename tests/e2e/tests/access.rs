//! Identity and access, as an outside client meets them: every RPC of both services
//! against every role, exactly as the table in docs/security.md says (the test reads
//! the same table the gate enforces, `saman_auth::policy::RULES`); bad tokens refused
//! each with its own message and nothing recorded; a request acting as someone else
//! than its token refused; a missing actor taken from the token and the principal
//! recorded with the event; a key rotated at the issuer picked up without a restart.

use std::collections::HashSet;
use std::time::Duration;

use http::uri::PathAndQuery;
use saman_auth::Role;
use saman_auth::dev::{DevKey, Identity, with_claim as with, without_claim as without};
use saman_auth::policy::{INTAKE, RULES, Who};
use saman_e2e::*;
use saman_harness::TestIssuer;
use saman_proto::intake::v1 as pb;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt as _;

/// The tests' identity of each role (the actors `register_programme` makes).
fn identity(role: Role) -> &'static str {
    match role {
        Role::ProgrammeOffice => "office:office",
        Role::CountySupervisor => "supervisor:supervisor",
        Role::NgoMember => "member:ngo-01/m-001",
        Role::AgencyOfficer => "officer:water/officer",
        Role::Operator => OPERATOR,
    }
}

/// Calls `/service/rpc` with an empty request message and the given `authorization`:
/// the status it ends with (OK when it answered).
async fn call(
    addr: std::net::SocketAddr,
    service: &str,
    rpc: &str,
    authorization: Option<String>,
) -> anyhow::Result<tonic::Status> {
    let channel = tls_channel(addr).await?;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await?;
    let mut request = tonic::Request::new(());
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse()?);
    }
    let path = PathAndQuery::try_from(format!("/{service}/{rpc}"))?;
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    Ok(match grpc.unary(request, path, codec).await {
        Ok(_) => tonic::Status::ok(""),
        Err(status) => status,
    })
}

fn reason(status: &tonic::Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_against_every_role_is_as_the_table_says() -> anyhow::Result<()> {
    let system = System::start(Backend::Sqlite).await?;
    register_programme(&mut system.intake.client().await?, 1, 1).await?;
    for rule in RULES {
        let addr = if rule.service == INTAKE {
            system.intake.addr
        } else {
            system.projection.addr
        };
        // Without a token, nothing is admitted (the projection runs without public reads).
        let anonymous = call(addr, rule.service, rule.rpc, None).await?;
        assert_eq!(
            (anonymous.code(), reason(&anonymous).as_str()),
            (Code::Unauthenticated, "MISSING_CREDENTIALS"),
            "{} without a token: {anonymous:?}",
            rule.rpc
        );
        for role in Role::ALL {
            let token = format!("Bearer {}", Tokens::of(identity(role)));
            let status = call(addr, rule.service, rule.rpc, Some(token)).await?;
            let refused =
                status.code() == Code::PermissionDenied && reason(&status) == "ROLE_NOT_ADMITTED";
            assert_ne!(
                status.code(),
                Code::Unauthenticated,
                "{} as {role}: {status:?}",
                rule.rpc
            );
            assert_eq!(
                refused,
                !rule.admits(&[role]),
                "{} as {role} ({}): {status:?}",
                rule.rpc,
                if rule.admits(&[role]) {
                    "the table admits it"
                } else {
                    "the table refuses it"
                }
            );
            if refused {
                let field = if rule.service == INTAKE {
                    "submission.actor"
                } else {
                    "authorization"
                };
                let info = status.get_details_error_info().expect("an ErrorInfo");
                assert_eq!(info.metadata.get("field").map(String::as_str), Some(field));
                assert!(status.message().contains(rule.rpc), "{status:?}");
            }
        }
    }
    // Nothing the refused calls sent was recorded: only the programme's registrations.
    let stored = stored_events(system.intake_db.url()).await?;
    assert!(
        stored.iter().all(|e| e.event_type != "NeedDeclared"),
        "{stored:?}"
    );
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_public_reads_anyone_reads_but_only_the_operator_administers() -> anyhow::Result<()> {
    let system = System::start_with(Backend::Sqlite, |config| config.public_reads = true).await?;
    for rule in RULES.iter().filter(|r| r.service != INTAKE) {
        let status = call(system.projection.addr, rule.service, rule.rpc, None).await?;
        let admitted = status.code() != Code::Unauthenticated;
        assert_eq!(
            admitted,
            rule.who == Who::Readers,
            "{} without a token: {status:?}",
            rule.rpc
        );
    }
    system.stop().await
}

/// Claims of a valid member token from the process's issuer, to spoil one at a time.
fn member_claims() -> Value {
    let identity: Identity = "member:ngo-01/m-001".parse().expect("an identity");
    identity.claims(
        issuer().url(),
        Duration::from_secs(600),
        &saman_auth::ClaimNames::default(),
    )
}

fn b64(value: &Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// An intake on a fresh SQLite store and its own NATS server, serving, with
/// `register_programme(zones, members)` recorded.
async fn intake_with_programme(
    zones: usize,
    members: usize,
) -> anyhow::Result<(TestDb, NatsServer, Intake)> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start().await?;
    let intake = Intake::start(db.url(), &nats).await?;
    wait_serving(intake.addr).await?;
    register_programme(&mut intake.client().await?, zones, members).await?;
    Ok((db, nats, intake))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_each_with_its_message_and_nothing_is_recorded() -> anyhow::Result<()>
{
    let (db, nats, intake) = intake_with_programme(1, 1).await?;
    let stored = stored_events(db.url()).await?.len();
    let head = stream_head(&nats).await?;

    let now = jiff::Timestamp::now().as_second();
    let sign = |claims: &Value| issuer().sign(claims);
    let forger = DevKey::generate("test-key-0")?;
    let good = sign(&member_claims());
    let (head_part, rest) = good.split_once('.').expect("a JWT");
    let (_, signature) = rest.split_once('.').expect("a JWT");
    let hmac = {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("test-key-0".into());
        jsonwebtoken::encode(
            &header,
            &member_claims(),
            &jsonwebtoken::EncodingKey::from_secret(b"shared"),
        )?
    };
    let bearer = |token: &str| Some(format!("Bearer {token}"));
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no header", None, "MISSING_CREDENTIALS"),
        (
            "basic",
            Some("Basic b2ZmaWNlOnNlY3JldA==".into()),
            "NOT_BEARER",
        ),
        ("empty", bearer(""), "EMPTY_TOKEN"),
        ("too long", bearer(&"x".repeat(9000)), "TOKEN_TOO_LONG"),
        ("two parts", bearer("abc.def"), "MALFORMED_TOKEN"),
        (
            "header not base64url",
            bearer("!!.e30.x"),
            "MALFORMED_TOKEN_HEADER",
        ),
        (
            "header without alg",
            bearer(&format!("{}.e30.x", b64(&json!({"kid": "k"})))),
            "MALFORMED_TOKEN_HEADER",
        ),
        (
            "alg none",
            bearer(&format!(
                "{}.{}.",
                b64(&json!({"alg": "none"})),
                b64(&member_claims())
            )),
            "UNSIGNED_TOKEN",
        ),
        ("HMAC", bearer(&hmac), "SYMMETRIC_ALGORITHM"),
        (
            "RS512",
            bearer(&format!(
                "{}.e30.x",
                b64(&json!({"alg": "RS512", "kid": "k"}))
            )),
            "ALGORITHM_NOT_ACCEPTED",
        ),
        (
            "no kid",
            bearer(&format!("{}.e30.x", b64(&json!({"alg": "EdDSA"})))),
            "NO_KEY_ID",
        ),
        (
            "unknown kid",
            bearer(&DevKey::generate("k-nobody")?.sign(&member_claims())?),
            "UNKNOWN_KEY",
        ),
        (
            "forged with the issuer's key id",
            bearer(&forger.sign(&member_claims())?),
            "BAD_SIGNATURE",
        ),
        (
            "claims altered",
            bearer(&format!(
                "{head_part}.{}.{signature}",
                b64(&with(member_claims(), "saman_member", json!("m-002")))
            )),
            "BAD_SIGNATURE",
        ),
        (
            "expired",
            bearer(&sign(&with(member_claims(), "exp", json!(now - 3600)))),
            "TOKEN_EXPIRED",
        ),
        (
            "not yet valid",
            bearer(&sign(&with(member_claims(), "nbf", json!(now + 3600)))),
            "TOKEN_NOT_YET_VALID",
        ),
        (
            "another issuer",
            bearer(&sign(&with(
                member_claims(),
                "iss",
                json!("https://evil.example"),
            ))),
            "WRONG_ISSUER",
        ),
        (
            "another audience",
            bearer(&sign(&with(member_claims(), "aud", json!("grafana")))),
            "WRONG_AUDIENCE",
        ),
        (
            "no subject",
            bearer(&sign(&without(member_claims(), "sub"))),
            "MISSING_CLAIM",
        ),
        (
            "no expiry",
            bearer(&sign(&without(member_claims(), "exp"))),
            "MISSING_CLAIM",
        ),
        (
            "no role",
            bearer(&sign(&with(member_claims(), "roles", json!(["admin"])))),
            "NO_ROLE",
        ),
        (
            "member without an NGO",
            bearer(&sign(&without(member_claims(), "saman_ngo"))),
            "MISSING_CLAIM",
        ),
        (
            "a malformed NGO",
            bearer(&sign(&with(member_claims(), "saman_ngo", json!("NGO 1!")))),
            "INVALID_CLAIM",
        ),
        (
            "audience claim of the wrong type",
            bearer(&sign(&with(member_claims(), "aud", json!(7)))),
            "MALFORMED_CLAIMS",
        ),
    ];

    let mut messages = HashSet::new();
    for (name, authorization, expected) in &cases {
        let mut request = tonic::Request::new(declare_need("zone-01", "m-001", "Roof repair"));
        if let Some(value) = authorization {
            request
                .metadata_mut()
                .insert("authorization", value.parse()?);
        }
        // A plain channel: the request carries exactly the header of the case.
        let channel = tls_channel(intake.addr).await?;
        let status = saman_proto::intake::v1::intake_client::IntakeClient::new(channel)
            .declare_need(request)
            .await
            .expect_err(name);
        assert_eq!(status.code(), Code::Unauthenticated, "{name}: {status:?}");
        let info = status.get_details_error_info().expect("an ErrorInfo");
        assert_eq!(info.reason, *expected, "{name}: {status:?}");
        assert_eq!(info.domain, ERROR_DOMAIN, "{name}");
        assert_eq!(
            info.metadata.get("field").map(String::as_str),
            Some("authorization")
        );
        assert!(
            status_metadata_size(&status) <= MAX_REFUSAL_BYTES,
            "{name}: {status:?}"
        );
        messages.insert(status.message().to_owned());
    }
    assert!(
        messages.len() >= 20,
        "{} distinct messages: {messages:#?}",
        messages.len()
    );
    assert_eq!(
        stored_events(db.url()).await?.len(),
        stored,
        "nothing stored"
    );
    assert_eq!(stream_head(&nats).await?, head, "nothing published");
    intake.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_acts_only_as_its_token() -> anyhow::Result<()> {
    let (db, _nats, intake) = intake_with_programme(1, 2).await?;
    let mut client = intake.client().await?;
    let stored = stored_events(db.url()).await?.len();

    // A member of ngo-01 acting as a member of another NGO, or as another member.
    for (token, actor) in [
        ("member:ngo-01/m-001", member("ngo-02", "m-001")),
        ("member:ngo-01/m-001", member("ngo-01", "m-002")),
        ("office:office", supervisor()),
    ] {
        let request = altered(declare_need("zone-01", "m-001", "Roof"), |r| {
            r.submission.as_mut().expect("a header").actor = Some(actor.clone());
        });
        let status = client
            .declare_need(as_caller(token, request))
            .await
            .expect_err("another actor than the token's");
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert!(
            status.message().starts_with("submission.actor:"),
            "{status:?}"
        );
    }

    // An officer answering a referral made to another agency.
    let need = declare_need("zone-01", "m-001", "Water")
        .submit(&mut client)
        .await?
        .entity_id;
    let referral = pb::ReferNeedRequest {
        submission: submission(member("ngo-01", "m-001"), "1397-01-22"),
        zone: "zone-01".into(),
        need_id: need,
        agency: "water".into(),
        note: String::new(),
    }
    .submit(&mut client)
    .await?
    .entity_id;
    let after_referral = stored_events(db.url()).await?.len();
    let status = client
        .answer_referral(pb::AnswerReferralRequest {
            submission: submission(officer("welfare"), "1397-01-25"),
            zone: "zone-01".into(),
            referral_id: referral,
            accepted: true,
            answer: "we will".into(),
        })
        .await
        .expect_err("another agency's referral");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(stored_events(db.url()).await?.len(), after_referral);
    assert_eq!(after_referral, stored + 2, "only the need and its referral");
    intake.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_actor_is_the_tokens_and_the_event_records_the_principal() -> anyhow::Result<()> {
    let (db, nats, intake) = intake_with_programme(1, 1).await?;
    let mut client = intake.client().await?;
    let request = altered(declare_need("zone-01", "m-001", "Roof"), |r| {
        r.submission.as_mut().expect("a header").actor = None;
    });
    let reply = client
        .declare_need(as_caller("member:ngo-01/m-001", request))
        .await?
        .into_inner();
    let count = stored_events(db.url()).await?.len();
    let all = published(&nats, u64::try_from(count)?, Duration::from_secs(10)).await?;
    let event = all
        .iter()
        .find(|m| m.envelope.event_id == reply.events[0].event_id)
        .expect("the need is published");
    assert_eq!(
        event.envelope.actor,
        Some(member("ngo-01", "m-001")),
        "the token's actor"
    );
    let principal = event.envelope.principal.as_ref().expect("a principal");
    assert_eq!(principal.issuer, issuer().url());
    assert_eq!(principal.subject, "ngo-member:ngo-01/m-001");
    intake.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_at_the_issuer_is_picked_up_without_a_restart() -> anyhow::Result<()> {
    let mut own = TestIssuer::start().await?;
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start().await?;
    let intake = Intake::start_trusting(db.url(), &nats, own.auth_args()).await?;
    let mut client = intake.client().await?;
    let as_office = |z: usize, token: &str| {
        let mut request = tonic::Request::new(zone(z));
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ASCII"),
        );
        request
    };
    let before = own.token("office:office");
    client.register_zone(as_office(1, &before)).await?;

    own.rotate(true)?;
    let after = own.token("office:office");
    client
        .register_zone(as_office(2, &after))
        .await
        .expect("a token of the new key, with no restart");
    let status = client
        .register_zone(as_office(3, &before))
        .await
        .expect_err("the retired key");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "UNKNOWN_KEY", "{status:?}");
    intake.stop().await
}
