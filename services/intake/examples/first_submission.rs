//! A first submission to a running intake, over real gRPC with TLS and a token per
//! actor: the programme office sets the 1397 dates and registers a zone, an NGO and a
//! member; the member declares a need. Each reply (the events recorded, their stream
//! and version) is printed.
//!
//! Against `scripts/dev` (its certificates, its development signing key, and an intake
//! that trusts claimed times so that 1397 can be replayed), in a second terminal:
//!
//! ```text
//! export SAMAN_CA_FILE=.saman/tls/ca.pem SAMAN_DEV_KEY=.saman/dev-signing-key.pem
//! cargo run -p saman-intake --example first_submission
//! ```
//! Running it twice is safe: the submission ids are fixed, so a second run gets the
//! first run's replies and records nothing new.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use saman_auth::dev::{DevKey, Identity};
use saman_proto::events::v1 as events;
use saman_proto::intake::v1::{self as pb, intake_client::IntakeClient};
use saman_proto::writes::Write;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

#[derive(Parser)]
struct Args {
    /// The intake service.
    #[arg(long, env = "SAMAN_INTAKE", default_value = "https://127.0.0.1:50051")]
    intake: String,
    /// The authority that signed intake's certificate (PEM).
    #[arg(long, env = "SAMAN_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// The development signing key that intake's issuer trusts (`saman token dev-keys`).
    #[arg(long, env = "SAMAN_DEV_KEY")]
    dev_key: PathBuf,
    /// The issuer the tokens name, as intake is configured (`--auth-issuer`).
    #[arg(
        long,
        env = "SAMAN_DEV_ISSUER",
        default_value = "https://saman.dev.invalid"
    )]
    issuer: String,
}

/// Fixed submission ids (UUIDv5 of a name) make the example idempotent. The actor is
/// left empty: intake takes it from the token.
fn submission(name: &str, occurred_at: &str) -> Option<pb::Submission> {
    Some(pb::Submission {
        submission_id: Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).to_string(),
        actor: None,
        expected_version: None,
        occurred_at: occurred_at.into(),
        attestation: None,
    })
}

/// Intake's client, and what mints each actor's token.
struct Intake {
    client: IntakeClient<Channel>,
    args: Args,
    key: DevKey,
}

impl Intake {
    /// Sends `request` (any write: [`Write`] calls its RPC) with a token of `who`
    /// (`office:USER`, `member:NGO/MEMBER`, ...) minted with the development key, and
    /// prints the reply as `what`.
    async fn submit(
        &mut self,
        who: &str,
        what: &str,
        request: impl Into<Write>,
    ) -> anyhow::Result<pb::SubmissionReply> {
        let identity: Identity = who.parse().map_err(anyhow::Error::msg)?;
        let token = self
            .key
            .mint(&identity, &self.args.issuer, Duration::from_secs(300))?;
        let authorization = format!("Bearer {token}").parse()?;
        let reply = request
            .into()
            .send(&mut self.client, Some(authorization))
            .await?;
        show(what, &reply);
        Ok(reply)
    }
}

async fn channel(args: &Args) -> anyhow::Result<Channel> {
    let tls = saman_runtime::tls::grpc_client_tls(args.ca_file.as_deref(), None)?;
    Ok(Endpoint::from_shared(args.intake.clone())?
        .tls_config(tls)?
        .connect()
        .await?)
}

fn show(what: &str, reply: &pb::SubmissionReply) {
    println!(
        "{what}: stream {} now at version {}{}",
        reply.stream_id,
        reply.stream_version,
        if reply.late { " (late)" } else { "" }
    );
    for event in &reply.events {
        println!(
            "  {} v{} on {}",
            event.event_type, event.stream_version, event.subject
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut intake = Intake {
        client: IntakeClient::new(channel(&args).await?),
        key: DevKey::read(&args.dev_key)?,
        args,
    };
    let office = "office:programme-office";

    let dates = pb::SetProgrammeDatesRequest {
        submission: submission("example/dates", "1396-12-26"),
        needs_deadline: "1397-01-31".into(),
        proposals_deadline: "1397-01-31".into(),
        operational_start: "1397-02-01".into(),
        goal_date: "1397-12-29".into(),
    };
    intake.submit(office, "programme dates", dates).await?;

    let zone = pb::RegisterZoneRequest {
        submission: submission("example/zone-01", "1396-12-26"),
        code: "zone-01".into(),
        name_fa: "منطقه ۱".into(),
        name_en: "Zone 01".into(),
        goals: vec![pb::GoalInput {
            code: "water".into(),
            approach: events::Approach::Infrastructural as i32,
            title_fa: "آب سالم برای همه".into(),
            title_en: "Safe water for every household".into(),
            weight: 1,
        }],
    };
    intake.submit(office, "zone", zone).await?;

    let ngo = pb::RecordApprovedNgoRequest {
        submission: submission("example/ngo-01", "1396-12-26"),
        code: "ngo-01".into(),
        name_fa: "سمن نمونه".into(),
        name_en: "Example NGO (fictional)".into(),
        ministry_approval_ref: "MOI-EXAMPLE-1".into(),
    };
    intake.submit(office, "NGO", ngo).await?;

    let member = pb::ApproveNgoMemberRequest {
        submission: submission("example/m-001", "1396-12-26"),
        ngo: "ngo-01".into(),
        member: "m-001".into(),
        full_name: "Member One (fictional)".into(),
    };
    intake.submit(office, "member", member).await?;

    let need = pb::DeclareNeedRequest {
        submission: submission("example/need", "۱۳۹۷-۰۱-۲۰"),
        zone: "zone-01".into(),
        approach: events::Approach::Infrastructural as i32,
        title: "Piped water for the upper streets".into(),
        description: "About 40 households carry water by hand.".into(),
        households_affected: 40,
        priority: events::Priority::High as i32,
    };
    let reply = intake.submit("member:ngo-01/m-001", "need", need).await?;
    println!("need id: {}", reply.entity_id);
    Ok(())
}
