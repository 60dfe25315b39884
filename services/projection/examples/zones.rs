//! The zones side by side, as the programme office sees them on a given day, from a
//! running projection over real gRPC.
//!
//! ```text
//! cargo run -p saman-projection --example zones -- --as-of 1397-06-31
//! ```

use clap::Parser;
use saman_proto::projection::v1::{self as pb, projection_client::ProjectionClient};

#[derive(Parser)]
struct Args {
    /// The projection service.
    #[arg(
        long,
        env = "SAMAN_PROJECTION",
        default_value = "http://127.0.0.1:50052"
    )]
    projection: String,
    /// The day to look at: Solar Hijri (1397-06-31) or ISO; default today.
    #[arg(long, default_value = "")]
    as_of: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut projection = ProjectionClient::connect(args.projection.clone()).await?;
    let reply = projection
        .list_zones(pb::ListZonesRequest {
            read: Some(pb::Read {
                as_of: args.as_of,
                ..Default::default()
            }),
        })
        .await?
        .into_inner();
    let reflects = reply.reflects.unwrap_or_default();
    let day = reflects.as_of.unwrap_or_default();
    println!(
        "as of {} ({}), position {}",
        day.solar_hijri_en, day.iso, reflects.position
    );
    println!(
        "{:<10} {:<14} {:>5} {:>10} {:>9} {:>8} {:>7} {:>8} {:>8}  status",
        "zone",
        "name",
        "needs",
        "unanswered",
        "proposals",
        "infra %",
        "social %",
        "overall",
        "expected"
    );
    for zone in reply.zones {
        let progress = zone.progress.unwrap_or_default();
        let status = pb::TrackStatus::try_from(progress.status)
            .map(|s| {
                s.as_str_name()
                    .trim_start_matches("TRACK_STATUS_")
                    .to_lowercase()
            })
            .unwrap_or_default();
        println!(
            "{:<10} {:<14} {:>5} {:>10} {:>9} {:>8.1} {:>7.1} {:>8.1} {:>8.1}  {}",
            zone.code,
            zone.name.map(|n| n.fa).unwrap_or_default(),
            zone.needs,
            zone.unanswered_needs,
            zone.proposals,
            progress.infrastructural,
            progress.social,
            progress.overall,
            progress.expected,
            status
        );
    }
    Ok(())
}
