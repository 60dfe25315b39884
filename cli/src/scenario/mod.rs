//! `saman scenario 1397`: the programme year through the intake API.
//!
//! - [`plan`]: the year as submissions, from a seed alone (pure, tested without I/O);
//! - [`run`]: sends them, lane by lane, with a progress bar.

pub mod plan;
pub mod run;

use crate::args::{Global, ScenarioArgs};
use crate::connect;
use crate::error::CliError;
use crate::output::{self, table};

pub async fn scenario(args: ScenarioArgs, global: &Global) -> Result<(), CliError> {
    let plan = plan::plan(args.seed);
    let client = connect::intake(global).await?;
    let progress = !args.no_progress && !global.json;
    let credentials = crate::credentials::Credentials::of(global).await?;
    let outcome = run::run(&plan, client, &credentials, args.concurrency, progress).await?;
    if global.json {
        let line = serde_json::json!({
            "year": args.year,
            "seed": args.seed,
            "submissions": outcome.submissions,
            "events": outcome.events,
            "late": outcome.late,
            "by_rpc": outcome.by_rpc,
            "streams": outcome.streams,
            "elapsed_ms": u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX),
        });
        crate::out!("{line}");
        return Ok(());
    }
    crate::out!(
        "scenario {} (seed {}): {} submissions in {:.1} s, {} events on {} streams, {} late",
        args.year,
        args.seed,
        outcome.submissions,
        outcome.elapsed.as_secs_f64(),
        outcome.events,
        outcome.streams.len(),
        outcome.late
    );
    let mut t = table(["write", "submissions"]);
    for (rpc, count) in &outcome.by_rpc {
        t.add_row(vec![rpc.to_string(), count.to_string()]);
    }
    output::align_right(&mut t, &[1]);
    crate::out!("{t}");
    crate::out!(
        "Running it again records nothing new (the submission ids are fixed by the seed).\n\
         Next: `saman zones --as-of 1397-12-29`, `saman zone show zone-03`, `saman watch zone-03`."
    );
    Ok(())
}
