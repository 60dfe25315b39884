//! The `saman` command line against the real services (a private nats-server, intake
//! and projection on SQLite): every subcommand, its `--json` output parsed, its
//! tables read as a person would, and the exit code of each kind of failure.

use std::time::Duration;

use saman_e2e::*;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

const MEMBER: &str = "member:ngo-01/m-001";
const REVOKED: &str = "member:ngo-01/m-002";
const OFFICER: &str = "officer:water/officer-1";

/// `--after STREAM:VERSION` for a write's JSON reply.
fn after(reply: &Value) -> String {
    format!(
        "{}:{}",
        reply["stream_id"].as_str().unwrap(),
        reply["stream_version"]
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subcommand_works_against_the_real_services() -> anyhow::Result<()> {
    let system = System::start(Backend::Sqlite).await?;
    let saman = system.saman()?;

    // ---- the programme office registers the programme ----
    let dates = saman.json("programme dates --needs-deadline 1397-01-31 --proposals-deadline ۱۳۹۷-۰۱-۳۱ --operational-start 1397/2/1 --goal-date 2019-03-20 --at 1396-12-20 --json").await?;
    assert_eq!(dates["stream_id"], "programme.khorramabad");
    assert_eq!(dates["events"][0]["event_type"], "ProgrammeDatesSet");

    let zone = saman.json("zone register zone-01 --name-en 'Zone 01' --name-fa 'منطقه ۱' --goal 'water:infrastructural:3:Safe water:آب سالم' --goal 'literacy:social:1:Adult literacy:سوادآموزی' --at 1396-12-21 --json").await?;
    assert_eq!(zone["entity_id"], "zone-01");
    assert_eq!(zone["stream_version"], 1);
    assert_eq!(
        zone["events"][0]["subject"],
        "saman.events.v1.zone.zone-01.ZoneRegistered"
    );

    // The table form says what was recorded and how to read it back.
    let agency = saman
        .run("agency register water --name-en 'Water agency' --name-fa 'دستگاه آب' --at 1396-12-21")
        .await?
        .ok()?;
    assert!(
        agency
            .stdout
            .contains("recorded 1 event on agency.water (now at version 1)")
    );
    assert!(
        agency
            .stdout
            .contains("AgencyRegistered v1  saman.events.v1.agency.water.AgencyRegistered")
    );
    assert!(agency.stdout.contains("--after agency.water:1"));

    saman
        .run("ngo register ngo-01 --name-en 'NGO 01' --name-fa 'سمن ۱' --ministry-ref MOI-1396-001 --at 1396-12-21")
        .await?
        .ok()?;
    for member in ["m-001", "m-002"] {
        let id = saman
            .run(&format!(
                "member approve ngo-01 {member} --full-name Member --at 1396-12-22 -q"
            ))
            .await?
            .ok()?;
        assert_eq!(id.stdout.trim(), member, "-q prints only the id");
    }
    let revoked = saman
        .json("member revoke ngo-01 m-002 --reason left --at 1397-01-02 --json")
        .await?;
    assert_eq!(revoked["events"][0]["event_type"], "NgoMemberRevoked");

    // ---- an NGO member declares, refers, reports ----
    let need = saman.stdout(&format!("need declare zone-01 --as {MEMBER} --approach infrastructural --title 'Piped water' --households 120 --priority high --at 1397-01-20 -q")).await?
        .trim()
        .to_string();
    uuid::Uuid::parse_str(&need)?;
    let late_need = saman.json(&format!("need declare zone-01 --as {MEMBER} --approach social --title 'Literacy classes' --households 40 --at 1397-02-05 --json")).await?;
    assert_eq!(late_need["late"], true, "declared after 31 Farvardin");
    let late_need = late_need["entity_id"].as_str().unwrap().to_string();

    let referral = saman
        .stdout(&format!(
            "need refer zone-01 {need} --agency water --as {MEMBER} --at 1397-01-21 -q"
        ))
        .await?
        .trim()
        .to_string();
    let answer = saman.json(&format!("referral answer zone-01 {referral} --accept --answer 'survey planned' --as {OFFICER} --at 1397-01-26 --json")).await?;
    assert_eq!(answer["events"][0]["event_type"], "ReferralAnswered");
    let activity = saman.json(&format!("activity report zone-01 --as {MEMBER} --title 'Clean-up day' --participants 30 --held-on 1397-02-10 --at 1397-02-11 --json")).await?;
    assert_eq!(
        activity["events"][0]["event_type"],
        "SocialActivityReported"
    );

    // ---- an agency proposes, the supervisor decides, the agency reports ----
    let proposal = saman.stdout(&format!("proposal submit zone-01 --need {need} --approach infrastructural --title 'Water network' --budget 12000000000 --start 1397-02-15 --end 1397-11-30 --as {OFFICER} --at 1397-01-28 -q")).await?
        .trim()
        .to_string();
    let second = saman.json(&format!("proposal submit zone-01 --need {late_need} --approach social --title Classes --budget 500000000 --start 1397-03-01 --end 1397-09-30 --as {OFFICER} --at 1397-02-08 --json")).await?;
    assert_eq!(second["late"], true);
    let second = second["entity_id"].as_str().unwrap().to_string();
    saman
        .run(&format!(
            "proposal approve zone-01 {proposal} --as supervisor:reza --at 1397-02-01"
        ))
        .await?
        .ok()?;
    let rejected = saman
        .json(&format!(
            "proposal reject zone-01 {second} --reason 'over budget' --at 1397-02-12 --json"
        ))
        .await?;
    assert_eq!(rejected["events"][0]["event_type"], "ProposalRejected");
    saman
        .run(&format!("progress report zone-01 {proposal} 40 --as-of 1397-04-31 --note 'pipes laid' --as {OFFICER} --at 1397-05-01"))
        .await?
        .ok()?;
    let completed = saman.json(&format!("project complete zone-01 {proposal} --on 1397-11-20 --as {OFFICER} --at 1397-11-21 --json")).await?;
    let types: Vec<&str> = completed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["ProgressReported", "ProjectCompleted"]);
    let supervision = saman.json("supervision report ngo-01 --zone zone-01 --rating 4 --findings 'well documented' --at 1397-06-01 --json").await?;
    assert_eq!(supervision["stream_id"], "ngo.ngo-01");
    let zone_after = after(&completed);
    let ngo_after = after(&supervision);

    // ---- the queries, reading those writes (--after) ----
    let read = |args: &str| {
        format!("{args} --after {zone_after} --after {ngo_after} --wait 20s --as-of 1397-12-29")
    };
    let json = async |args: &str| saman.json(&read(args)).await;
    let text = async |args: &str| saman.stdout(&read(args)).await;

    let zones = json("zones --json").await?;
    assert_eq!(zones["zones"][0]["code"], "zone-01");
    assert_eq!(zones["zones"][0]["needs"], 2);
    assert_eq!(zones["zones"][0]["projects"], 1);
    assert_eq!(zones["reflects"]["as_of"]["solar_hijri"], "1397-12-29");
    assert_eq!(zones["reflects"]["as_of"]["iso"], "2019-03-20");
    let zones_table = text("zones").await?;
    assert!(
        zones_table.contains("as of 29 Esfand 1397 (2019-03-20)"),
        "{zones_table}"
    );
    assert!(zones_table.contains("zone-01") && zones_table.contains("Zone 01"));
    let zones_fa = text("zones --fa").await?;
    assert!(
        zones_fa.contains("منطقه ۱") && zones_fa.contains("۲۹ اسفند ۱۳۹۷"),
        "{zones_fa}"
    );

    let progress = json("zone show zone-01 --json").await?;
    assert_eq!(progress["needs"]["total"], 2);
    assert_eq!(progress["needs"]["late"], 1);
    assert_eq!(progress["proposals"]["approved"], 1);
    assert_eq!(progress["proposals"]["rejected"], 1);
    assert_eq!(progress["projects"][0]["proposal_id"], proposal.as_str());
    assert_eq!(progress["projects"][0]["percent"], 100);
    assert_eq!(progress["projects"][0]["completed"], true);
    // Goals water (infrastructural, weight 3) at 100% and literacy (social, weight 1)
    // with no approved project: (3 x 100 + 1 x 0) / 4 = 75, 25 points short: at risk.
    assert_eq!(progress["progress"]["overall"], 75.0);
    assert_eq!(progress["progress"]["status"], "TRACK_STATUS_AT_RISK");
    let show = text("zone show zone-01").await?;
    assert!(show.contains("12,000,000,000"), "{show}");
    assert!(show.contains("1397-11-20 (2019-02-09)"), "{show}");
    assert!(
        show.contains("overall 75.0% · expected 100.0% · at risk"),
        "{show}"
    );

    let summary = json("summary --json").await?;
    assert_eq!(summary["zones"], 1);
    assert_eq!(summary["completed_projects"], 1);
    assert_eq!(summary["approved_budget_rials"], 12_000_000_000u64);
    assert!(text("summary").await?.contains("12,000,000,000"));
    assert_eq!(summary["households_affected"], 160);
    assert_eq!(
        (
            summary["late_needs"].as_u64(),
            summary["late_proposals"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            summary["activities"].as_u64(),
            summary["participants"].as_u64()
        ),
        (Some(1), Some(30))
    );
    assert_eq!(progress["budget"]["households_affected"], 160);
    assert_eq!(progress["activities"], 1);

    let compliance = json("compliance --json").await?;
    assert_eq!(compliance["ngos"][0]["code"], "ngo-01");
    assert_eq!(compliance["ngos"][0]["on_time"], 1);
    assert_eq!(compliance["ngos"][0]["late"], 1);
    assert_eq!(compliance["agencies"][0]["late"], 1);
    assert!(
        text("compliance")
            .await?
            .contains("NGOs: needs by the deadline (31 Farvardin 1397 (2018-04-20))")
    );

    let cooperation = json("cooperation --json").await?;
    assert_eq!(cooperation["agencies"][0]["code"], "water");
    assert_eq!(cooperation["agencies"][0]["answered"], 1);
    assert_eq!(cooperation["agencies"][0]["median_days_to_answer"], 5.0);
    assert!(text("cooperation").await?.contains("Water agency"));

    // The referral was answered on 1397-01-26: none is open.
    let referrals = json("referrals --json").await?;
    assert_eq!(referrals["referrals"].as_array().map(Vec::len), Some(0));
    assert_eq!(referrals["by_agency"][0]["of"]["code"], "water");
    assert_eq!(referrals["by_agency"][0]["open"], 0);
    let table = text("referrals").await?;
    assert!(
        table.contains("(none)") && table.contains("water Water agency"),
        "{table}"
    );

    // The approved proposal waited 01-28 -> 02-01 (4 days), the rejected one 02-08 ->
    // 02-12 (4).
    let decisions = json("decisions --json").await?;
    assert_eq!(decisions["median_days"], 4.0);
    assert_eq!(decisions["worst_days"], 4.0);
    assert_eq!(decisions["decided"][0]["proposal_id"], proposal.as_str());
    assert_eq!(decisions["decided"][0]["decision"], "DECISION_APPROVED");
    assert_eq!(decisions["decided"][1]["decision"], "DECISION_REJECTED");
    assert_eq!(decisions["pending"].as_array().map(Vec::len), Some(0));
    assert!(
        text("decisions")
            .await?
            .contains("median 4.0 · worst 4.0 · 2 decided · 0 pending")
    );

    let supervision = json("supervision show --json").await?;
    assert_eq!(supervision["ngos"][0]["reports"], 1);
    assert_eq!(supervision["ngos"][0]["average_rating"], 4.0);
    assert_eq!(supervision["reports"][0]["findings"], "well documented");
    assert!(text("supervision show").await?.contains("well documented"));

    let activities = json("activities --json").await?;
    assert_eq!(activities["by_zone"][0]["activities"], 1);
    assert_eq!(activities["by_ngo"][0]["participants"], 30);
    assert_eq!(
        activities["activities"][0]["member"]["name"]["en"],
        "Member"
    );
    assert!(text("activities").await?.contains("Clean-up day"));

    // Literacy classes (declared 02-05) and Classes (submitted 02-08), after 01-31.
    let late = json("late --json").await?;
    assert_eq!(late["needs"][0]["id"], late_need.as_str());
    assert_eq!(late["needs"][0]["days_late"], 5);
    assert_eq!(late["proposals"][0]["id"], second.as_str());
    assert_eq!(late["proposals"][0]["days_late"], 8);
    assert!(text("late").await?.contains("Literacy classes"));

    let budgets = json("budgets --json").await?;
    let zone_budget = &budgets["zones"][0];
    assert_eq!(zone_budget["approved_budget_rials"], 12_000_000_000u64);
    assert_eq!(zone_budget["social_budget_rials"], 0);
    assert_eq!(zone_budget["households_affected"], 160);
    let priorities: Vec<(&str, u64)> = zone_budget["needs_by_priority"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["priority"].as_str().unwrap(),
                p["needs"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        priorities,
        [
            ("PRIORITY_URGENT", 0),
            ("PRIORITY_HIGH", 1),
            ("PRIORITY_MEDIUM", 1),
            ("PRIORITY_LOW", 0)
        ]
    );
    let table = text("budgets").await?;
    assert!(
        table.contains("urgent 0, high 1, medium 1, low 0"),
        "{table}"
    );

    let members = json("members --json").await?;
    let listed = &members["ngos"][0]["members"];
    assert_eq!(listed[0]["status"], "MEMBER_STATUS_APPROVED");
    assert_eq!(listed[1]["member"], "m-002");
    assert_eq!(listed[1]["status"], "MEMBER_STATUS_REVOKED");
    assert_eq!(listed[1]["revocation_reason"], "left");
    assert_eq!(listed[1]["since"]["solar_hijri"], "1397-01-02");
    assert!(text("members").await?.contains("revoked"));

    let corrections = json("corrections --json").await?;
    assert_eq!(corrections["corrections"].as_array().map(Vec::len), Some(0));
    assert_eq!(corrections["rejections"][0]["reason"], "over budget");
    assert!(text("corrections").await?.contains("over budget"));

    // Registered 1396-12-21: a point at each month's end from Esfand 1396 to the day.
    let series = json("zone series zone-01 --json").await?;
    let points = series["points"].as_array().unwrap();
    assert_eq!(points.len(), 13);
    assert_eq!(points[0]["day"]["solar_hijri"], "1396-12-29");
    assert_eq!(points[12]["progress"]["overall"], 75.0);
    assert!(text("zone series zone-01").await?.contains("at risk"));

    // The one project was completed before its planned end: never overdue.
    let overdue = json("overdue --json").await?;
    assert_eq!(overdue["reflects"]["as_of"]["solar_hijri"], "1397-12-29");
    assert_eq!(overdue["projects"].as_array().map_or(0, Vec::len), 0);
    let overdue_table = text("overdue").await?;
    assert!(overdue_table.contains("(none)"), "{overdue_table}");

    // The timeline, one page at a time and whole.
    let zone_version = completed["stream_version"].as_u64().unwrap();
    let pages = saman
        .run(&read("timeline zone-01 --page-size 3 --all --json"))
        .await?
        .ok()?
        .json_lines()?;
    let entries: Vec<&Value> = pages
        .iter()
        .flat_map(|p| p["entries"].as_array().unwrap())
        .collect();
    // Every event of zone-01's stream, and the supervision report about zone-01.
    assert_eq!(entries.len() as u64, zone_version + 1);
    assert_eq!(pages.len() as u64, (zone_version + 1).div_ceil(3));
    assert_eq!(
        entries.last().unwrap()["event_type"],
        "SupervisionReportFiled"
    );
    assert_eq!(entries[0]["event_type"], "ZoneRegistered");
    let first_page = text("timeline zone-01 --page-size 3").await?;
    assert!(
        first_page.contains("more: saman timeline zone-01 --page-token"),
        "{first_page}"
    );
    assert!(
        first_page.contains("declared the need “Piped water”"),
        "{first_page}"
    );

    // ---- operators ----
    let status = saman.json(&["admin", "status", "--json"]).await?;
    assert_eq!(status["parked"], 0);
    assert_eq!(status["generation"], 1);
    let parked = saman.json(&["admin", "parked", "--json"]).await?;
    assert_eq!(parked["events"], Value::Array(vec![]));
    let rebuild = saman.json(&["admin", "rebuild", "--json"]).await?;
    assert_eq!(rebuild["generation"], 2);
    let table = saman.stdout(&["admin", "status"]).await?;
    assert!(
        table.contains("position") && table.contains("lag"),
        "{table}"
    );

    // ---- the raw events on NATS, as a subscriber sees them ----
    let events = saman
        .run(&["events", "--zone", "zone-01", "--json"])
        .await?
        .ok()?
        .json_lines()?;
    assert_eq!(events.len() as u64, zone_version);
    for (i, event) in events.iter().enumerate() {
        let kind = event["envelope"]["event_type"].as_str().unwrap();
        assert_eq!(
            event["subject"],
            format!("saman.events.v1.zone.zone-01.{kind}"),
            "the subject names the event type"
        );
        assert_eq!(event["headers"]["Saman-Event-Type"], kind);
        assert_eq!(
            event["envelope"]["stream_version"],
            i as u64 + 1,
            "in stream order"
        );
    }
    let completions = saman
        .stdout(&["events", "--type", "ProjectCompleted"])
        .await?;
    assert_eq!(completions.lines().count(), 1, "{completions}");
    assert!(
        completions.contains("by officer:water/officer-1"),
        "{completions}"
    );

    system.stop().await
}

/// The next line `lines` gives within 20 s ("" once they end).
async fn next_line<R: AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
) -> anyhow::Result<String> {
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await??;
    Ok(line.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_a_line_when_a_report_changes_the_zone() -> anyhow::Result<()> {
    let system = System::start_registered(Backend::Sqlite, 1, 1).await?;
    let saman = system.saman()?;
    let need = saman.stdout(&format!("need declare zone-01 --as {MEMBER} --approach infrastructural --title Water --households 10 --at 1397-01-10 -q")).await?;
    let proposal = saman.stdout(&format!("proposal submit zone-01 --need {} --approach infrastructural --title Works --budget 1000 --start 1397-02-01 --end 1397-12-01 --as {OFFICER} --at 1397-01-15 -q", need.trim())).await?;
    let proposal = proposal.trim();
    let approved = saman
        .json(&format!(
            "proposal approve zone-01 {proposal} --at 1397-01-20 --json"
        ))
        .await?;
    // The watch must start from a view that holds the approval, or its arrival would be
    // the update this test waits for.
    saman
        .run(&format!(
            "zone show zone-01 --after {} --wait 20s",
            after(&approved)
        ))
        .await?
        .ok()?;

    let mut watch = saman.spawn(&["watch", "zone-01", "--as-of", "1397-06-31", "--count", "2"])?;
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let heading = next_line(&mut lines).await?;
    assert!(
        heading.starts_with("watching zone-01 Zone 01 as of 31 Shahrivar 1397"),
        "{heading}"
    );
    let first = next_line(&mut lines).await?;
    assert!(first.contains("overall 0.0%"), "{first}");

    saman
        .run(&format!("progress report zone-01 {proposal} 60 --as-of 1397-06-15 --as {OFFICER} --at 1397-06-16"))
        .await?
        .ok()?;
    let update = next_line(&mut lines).await?;
    // The zone's two goals: water (infrastructural, at 60%) and literacy (social, 0%).
    assert!(update.contains("infrastructural 60.0%"), "{update}");
    assert!(update.contains("overall 30.0%"), "{update}");
    let status = tokio::time::timeout(Duration::from_secs(20), watch.wait()).await??;
    assert!(
        status.success(),
        "watch --count 2 ends by itself after 2 updates"
    );
    system.stop().await
}

/// On a terminal a status is coloured beside its words (green on track, yellow at
/// risk, red behind); with `NO_COLOR` set, or through a pipe, nothing but the words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_are_coloured_on_a_terminal_unless_no_color_is_set() -> anyhow::Result<()> {
    let system = System::start(Backend::Sqlite).await?;
    let saman = system.saman()?;
    saman.json("programme dates --needs-deadline 1397-01-31 --proposals-deadline 1397-01-31 --operational-start 1397-02-01 --goal-date 1397-12-29 --at 1396-12-20 --json").await?;
    saman.json("zone register zone-01 --name-en 'Zone 01' --name-fa 'منطقه ۱' --goal 'water:infrastructural:1:Safe water:آب سالم' --at 1396-12-21 --json").await?;
    // Nothing done by the middle of the year: behind.
    let read = "zones --as-of 1397-06-31 --after zone.zone-01:1";
    let shown = saman
        .run_on_terminal(read, &[("NO_COLOR", ""), ("TERM", "xterm")])
        .await?;
    assert!(shown.contains("behind"), "{shown}");
    assert!(
        shown.contains("\u{1b}["),
        "no colour on a terminal: {shown:?}"
    );
    let line = saman
        .run_on_terminal(
            "zone show zone-01 --as-of 1397-06-31",
            &[("NO_COLOR", ""), ("TERM", "xterm")],
        )
        .await?;
    assert!(line.contains("\u{1b}[31mbehind\u{1b}[0m"), "{line:?}");
    for env in [
        [("NO_COLOR", "1"), ("TERM", "xterm")],
        [("NO_COLOR", ""), ("TERM", "dumb")],
    ] {
        let plain = saman.run_on_terminal(read, &env).await?;
        assert!(plain.contains("behind"), "{plain}");
        assert!(!plain.contains('\u{1b}'), "{env:?}: {plain:?}");
    }
    let piped = saman.run(read).await?.ok()?;
    assert!(!piped.stdout.contains('\u{1b}'), "{:?}", piped.stdout);
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_say_what_went_wrong() -> anyhow::Result<()> {
    let system = System::start_registered(Backend::Sqlite, 1, 2).await?;
    let saman = system.saman()?;
    saman
        .run(&["member", "revoke", "ngo-01", "m-002", "--reason", "left"])
        .await?
        .ok()?;

    // 3: a value the service refuses, every bad field named on one line.
    let bad = saman
        .run(&format!(
            "need declare zone-01 --as {MEMBER} --approach social --title ' ' --households 0"
        ))
        .await?
        .exited(3)?;
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(
        bad.stderr
            .starts_with("saman: invalid argument [title, households_affected]:"),
        "{}",
        bad.stderr
    );
    let bad = saman
        .run(&format!("need declare zone-01 --as {MEMBER} --approach social --title x --households 3 --at 1397-13-01 --json"))
        .await?
        .exited(3)?;
    let error = bad.json_error()?;
    assert_eq!(error["code"], "INVALID_ARGUMENT");
    assert_eq!(error["exit_code"], 3);
    assert_eq!(error["fields"][0], "submission.occurred_at");
    assert!(bad.stdout.is_empty());
    saman
        .run(&["zones", "--as-of", "not-a-day"])
        .await?
        .exited(3)?;

    // 4: an unknown zone, on a write and on a query.
    let unknown = saman
        .run(&format!(
            "need declare zone-99 --as {MEMBER} --approach social --title x --households 3"
        ))
        .await?
        .exited(4)?;
    assert!(unknown.stderr.contains("[zone]") && unknown.stderr.contains("zone-99"));
    saman.run(&["zone", "show", "zone-99"]).await?.exited(4)?;
    saman.run(&["timeline", "zone-99"]).await?.exited(4)?;
    saman.run(&["watch", "zone-99"]).await?.exited(4)?;

    // 5: refused by a rule or a role.
    let denied = saman
        .run(&format!(
            "need declare zone-01 --as {REVOKED} --approach social --title x --households 3 --json"
        ))
        .await?
        .exited(5)?;
    assert_eq!(denied.json_error()?["code"], "PERMISSION_DENIED");
    let again = saman
        .run(&["member", "revoke", "ngo-01", "m-002", "--reason", "twice"])
        .await?
        .exited(5)?;
    assert!(again.stderr.contains("already revoked"), "{}", again.stderr);

    // 6: the stream moved on, or a submission id reused with other content.
    saman
        .run(&format!("need declare zone-01 --as {MEMBER} --approach social --title x --households 3 --expected-version 0"))
        .await?
        .exited(6)?;
    let id = uuid::Uuid::now_v7().to_string();
    let first = saman.json(&format!("need declare zone-01 --as {MEMBER} --approach social --title x --households 3 --submission-id {id} --json")).await?;
    let retry = saman.json(&format!("need declare zone-01 --as {MEMBER} --approach social --title x --households 3 --submission-id {id} --json")).await?;
    assert_eq!(first, retry, "a retry prints the first reply");
    let reused = saman
        .run(&format!("need declare zone-01 --as {MEMBER} --approach social --title y --households 3 --submission-id {id}"))
        .await?
        .exited(6)?;
    assert!(
        reused.stderr.contains("submission.submission_id"),
        "{}",
        reused.stderr
    );

    // 8: a read waiting for a write the projection will never see.
    saman
        .run(&["zones", "--after", "zone.zone-01:999", "--wait", "300ms"])
        .await?
        .exited(8)?;

    // 2 (an incomplete command line) and 7 (no service) need no service: they are
    // tested with the binary alone, in cli/tests/command_line.rs.

    // Nothing refused was recorded: zone-01 holds its registration and the one need.
    let zone_events = saman
        .run(&["events", "--zone", "zone-01", "--json"])
        .await?
        .ok()?
        .json_lines()?;
    assert_eq!(zone_events.len(), 2);

    system.stop().await
}
