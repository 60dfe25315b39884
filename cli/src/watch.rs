//! `saman watch ZONE`: the zone's progress now, then a line each time an event changes
//! it, from the projection's server stream, until Ctrl-C (or `--count` updates).

use saman_proto::projection::v1 as query;

use crate::args::{Global, WatchArgs};
use crate::connect;
use crate::error::{CliError, Kind};
use crate::output::{self, Style, json_line};

pub async fn run(args: WatchArgs, global: &Global) -> Result<(), CliError> {
    let style = Style {
        json: global.json,
        fa: global.fa,
    };
    let mut client = connect::projection(global).await?;
    let mut updates = client
        .watch_zone_progress(query::WatchZoneProgressRequest {
            zone: args.zone.clone(),
            as_of: args.as_of.clone().unwrap_or_default(),
        })
        .await
        .map_err(|s| CliError::from_status("projection", &s))?
        .into_inner();
    let mut seen = 0usize;
    loop {
        let next = tokio::select! {
            next = updates.message() => next,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let zone = match next {
            Ok(Some(zone)) => zone,
            Ok(None) => {
                return Err(CliError::new(
                    Kind::Unreachable,
                    "the projection ended the watch (it is shutting down)",
                ));
            }
            Err(status) => return Err(CliError::from_status("projection", &status)),
        };
        if style.json {
            crate::out!("{}", json_line("saman.projection.v1.ZoneProgress", &zone)?);
        } else {
            if seen == 0 {
                crate::out!(
                    "watching {} {} as of {} (Ctrl-C stops)",
                    zone.code,
                    style.name(zone.name.as_ref()),
                    style.day_long(zone.reflects.as_ref().and_then(|r| r.as_of.as_ref()))
                );
            }
            crate::out!("{}", line(&zone));
        }
        seen += 1;
        if args.count.is_some_and(|count| seen >= count) {
            return Ok(());
        }
    }
}

/// One update: "position 812 · overall 41.2% · expected 58.0% · at risk · 12 projects
/// (3 done) · 120 days left".
fn line(zone: &query::ZoneProgress) -> String {
    let p = zone.progress.clone().unwrap_or_default();
    let done = zone.projects.iter().filter(|p| p.completed).count();
    format!(
        "position {} · overall {}% · expected {}% · {} · infrastructural {}% · social {}% · \
         {} projects ({} done) · {} days left",
        zone.reflects.as_ref().map(|r| r.position).unwrap_or(0),
        output::percent(p.overall),
        output::percent(p.expected),
        output::status_text(p.status),
        output::percent(p.infrastructural),
        output::percent(p.social),
        zone.projects.len(),
        done,
        p.days_left
    )
}
