//! The command line, as clap reads it: global flags, one subcommand per write and per
//! query, each with an example in its help.

use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use uuid::Uuid;

use crate::actor::ActorArg;

/// The top-level examples, shown in both `-h` and `--help`.
macro_rules! examples {
    () => {
        concat!(
            "Dates: Solar Hijri (1397-01-31, 1397/1/31, ۱۳۹۷-۰۱-۳۱) or ISO 8601 (2018-04-20).\n\n",
            "Examples:\n",
            "  saman scenario 1397\n",
            "  saman zones --as-of 1397-06-31\n",
            "  saman need declare zone-01 --as member:ngo-01/m-001 --approach social \\\n",
            "      --title 'No school within 2 km' --households 120 --priority high\n",
            "  saman watch zone-03\n",
        )
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "saman",
    version,
    about = "Saman from the command line: the writes of the programme's people (intake) and \
             the programme office's questions (projection).",
    long_about = None,
    after_help = concat!(examples!(), "\n", "Exit codes: see --help."),
    after_long_help = concat!(examples!(), "\n", crate::exit_codes!()),
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The intake service (writes).
    #[arg(
        long,
        global = true,
        env = "SAMAN_INTAKE",
        default_value = "https://127.0.0.1:50051",
        value_name = "URL"
    )]
    pub intake: String,
    /// The projection service (queries).
    #[arg(
        long,
        global = true,
        env = "SAMAN_PROJECTION",
        default_value = "https://127.0.0.1:50052",
        value_name = "URL"
    )]
    pub projection: String,
    /// The certificate authority (PEM) that signed the services' certificates, for
    /// `https://` URLs; without it, the system's authorities (scripts/dev makes
    /// .saman/tls/ca.pem).
    #[arg(long, global = true, env = "SAMAN_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// A client certificate (PEM) to present, for services that require one (mutual
    /// TLS); with --client-key.
    #[arg(
        long,
        global = true,
        env = "SAMAN_CLIENT_CERT",
        value_name = "PEM",
        requires = "client_key"
    )]
    pub client_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of --client-cert.
    #[arg(
        long,
        global = true,
        env = "SAMAN_CLIENT_KEY",
        value_name = "PEM",
        requires = "client_cert"
    )]
    pub client_key: Option<std::path::PathBuf>,
    /// Print the reply as JSON (proto3 JSON mapping, field names as in the .proto
    /// files, every field present) instead of a table; errors too, on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Show names and dates in Persian (names of zones, NGOs, agencies, goals; Solar
    /// Hijri dates in Persian digits).
    #[arg(long, global = true)]
    pub fa: bool,
    /// How long to try to connect to a service before giving up (exit code 7).
    #[arg(long, global = true, env = "SAMAN_CONNECT_TIMEOUT", default_value = "5s",
          value_parser = saman_runtime::parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// The bearer token sent with every call: from the identity provider (see
    /// docs/security.md), or `saman token mint` in development. Without it (and
    /// without --dev-key), the token `saman login` kept.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "SAMAN_TOKEN",
        hide_env_values = true,
        value_name = "JWT"
    )]
    pub token: Option<String>,
    /// Development only: instead of --token, sign a token for each call with this key
    /// (scripts/dev makes .saman/dev-signing-key.pem): each write as its actor, queries
    /// as an operator.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "SAMAN_DEV_KEY",
        value_name = "PEM"
    )]
    pub dev_key: Option<std::path::PathBuf>,
    /// The issuer named by tokens signed with --dev-key.
    #[arg(long, global = true, help_heading = "Global options", env = "SAMAN_DEV_ISSUER",
          default_value = saman_auth::dev::DEV_ISSUER, value_name = "URL")]
    pub dev_issuer: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    // ---- queries ----
    /// The zones side by side: needs, proposals, projects, progress and status.
    #[command(after_help = "Example:\n  saman zones --as-of 1397-06-31")]
    Zones(ReadOpts),
    /// Register a zone with its year-end '97 goals, or show one zone's progress.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// The whole programme: infrastructural against social progress, totals.
    #[command(after_help = "Example:\n  saman summary --as-of 1397-12-29")]
    Summary(ReadOpts),
    /// Deadline compliance per NGO (needs) and per agency (proposals).
    #[command(after_help = "Example:\n  saman compliance")]
    Compliance(ReadOpts),
    /// Referrals per agency, open and answered, and how long agencies take to answer.
    #[command(after_help = "Example:\n  saman cooperation --as-of 1397-03-31")]
    Cooperation(ReadOpts),
    /// The projects past their planned end and not completed, in every zone, the longest
    /// overdue first.
    #[command(after_help = "Example:\n  saman overdue --as-of 1397-11-01")]
    Overdue(ReadOpts),
    /// The referrals no agency has answered yet, the longest waiting first, and how many
    /// wait per zone, agency and NGO.
    #[command(after_help = "Example:\n  saman referrals --as-of 1397-02-12")]
    Referrals(ReadOpts),
    /// How long proposals wait for the county supervisor's decision, and which wait.
    #[command(after_help = "Example:\n  saman decisions --as-of 1397-06-31")]
    Decisions(ReadOpts),
    /// Social activities per zone and per NGO (how many, participants), and each one.
    #[command(after_help = "Example:\n  saman activities --as-of 1397-12-29")]
    Activities(ReadOpts),
    /// The needs and proposals submitted after their deadline, and whose.
    #[command(after_help = "Example:\n  saman late")]
    Late(ReadOpts),
    /// Per zone: the approved budget by approach, households affected, needs by priority.
    #[command(after_help = "Example:\n  saman budgets --as-of 1397-12-29")]
    Budgets(ReadOpts),
    /// Each NGO's members: approved, or revoked when and why.
    #[command(after_help = "Example:\n  saman members --as-of 1397-07-15")]
    Members(ReadOpts),
    /// Progress reports that lowered a figure (with the reason), and rejections with theirs.
    #[command(after_help = "Example:\n  saman corrections")]
    Corrections(ReadOpts),
    /// File a supervision report on an NGO (county supervisor), or show the reports.
    #[command(subcommand)]
    Supervision(SupervisionCommand),
    /// A zone's timeline: every event with who, when (both calendars) and what.
    #[command(after_help = "Examples:\n  saman timeline zone-03 --page-size 20\n  \
                            saman timeline zone-03 --all --json")]
    Timeline(TimelineArgs),
    /// Follow a zone's progress live: prints it now, then again whenever it changes.
    /// Ctrl-C stops.
    #[command(after_help = "Example:\n  saman watch zone-03")]
    Watch(WatchArgs),
    /// The raw events on NATS JetStream, as a downstream subscriber receives them.
    #[command(after_help = "Examples:\n  saman events --zone zone-03 --follow\n  \
                            saman events --type NeedDeclared --limit 5 --json")]
    Events(EventsArgs),
    /// For operators: the projection's status, parked events, rebuilds.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Development tokens: a signing key and its JWKS, tokens minted with it.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Sign in at the identity provider (OAuth 2.0 device authorization grant): prints
    /// a page to open and a code to enter there, waits for the sign-in, and keeps the
    /// token for later calls (in $XDG_CONFIG_HOME/saman/, readable by you only).
    #[command(
        after_help = "Examples:\n  saman login --issuer https://id.example.org/realms/saman --client-id saman-cli\n  \
                            saman login --status"
    )]
    Login(LoginArgs),
    /// Forget the token `saman login` kept.
    #[command(after_help = "Example:\n  saman logout")]
    Logout,
    /// Development TLS: a throwaway certificate authority and certificates.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Shell completions for saman, on standard output.
    #[command(after_help = "Examples:\n  \
        saman completions bash > ~/.local/share/bash-completion/completions/saman\n  \
        saman completions zsh > ~/.zfunc/_saman\n  \
        saman completions fish > ~/.config/fish/completions/saman.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The manual pages (roff): saman(1) on standard output, or with --dir one page per
    /// command (saman.1, saman-zones.1, saman-progress-report.1, ...) written there.
    #[command(
        after_help = "Examples:\n  saman man | man -l -\n  saman man --dir /usr/local/share/man/man1"
    )]
    Man {
        /// Write every page into this directory instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },

    // ---- writes ----
    #[command(flatten)]
    Write(WriteCommand),

    /// Load a whole programme year through the intake API, as its people would: the
    /// zones and goals, NGOs and their 100 members, agencies, needs, referrals,
    /// proposals, decisions and monthly progress reports. Deterministic from the
    /// seed; running it again records nothing new. Its acts claim their 2018 times:
    /// it needs an intake that opted in to replaying a past year
    /// (`saman-intake --trust-claimed-time`, as scripts/dev starts it); any other
    /// judges them on receipt, and late.
    #[command(after_help = "Examples:\n  saman scenario 1397\n  saman scenario 1397 --seed 7")]
    Scenario(ScenarioArgs),
}

/// The write subcommands (besides `zone register`): each leaf makes one intake request
/// (see [`crate::write`]).
#[derive(Debug, Subcommand)]
pub enum WriteCommand {
    /// The programme's dates (programme office).
    #[command(subcommand)]
    Programme(ProgrammeCommand),
    /// Register an executive agency (programme office).
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// Record a Ministry-approved NGO (programme office).
    #[command(subcommand)]
    Ngo(NgoCommand),
    /// Approve or revoke an NGO's member (programme office).
    #[command(subcommand)]
    Member(MemberCommand),
    /// Declare a zone's need, or refer it to an agency (NGO member).
    #[command(subcommand)]
    Need(NeedCommand),
    /// Answer a referral (agency officer).
    #[command(subcommand)]
    Referral(ReferralCommand),
    /// Report a social activity in a zone (NGO member).
    #[command(subcommand)]
    Activity(ActivityCommand),
    /// Submit a proposal (agency officer), approve or reject it (county supervisor).
    #[command(subcommand)]
    Proposal(ProposalCommand),
    /// Report an approved project's progress (agency officer).
    #[command(subcommand)]
    Progress(ProgressCommand),
    /// Mark an approved project as done (agency officer).
    #[command(subcommand)]
    Project(ProjectCommand),
}

/// How a query reads: the day it looks at, and what it waits for.
#[derive(Debug, Clone, Default, Args)]
pub struct ReadOpts {
    /// The day to look at: Solar Hijri (1397-06-31) or ISO (2018-09-22); default
    /// today in Tehran.
    #[arg(long, value_name = "DAY")]
    pub as_of: Option<String>,
    /// Read your writes: wait until the projection has applied this write, given as
    /// STREAM:VERSION (as a write prints it, e.g. zone.zone-01:7). Repeatable.
    #[arg(long, value_name = "STREAM:VERSION")]
    pub after: Vec<StreamVersionArg>,
    /// Wait until the projection has applied this JetStream sequence.
    #[arg(long, value_name = "SEQUENCE")]
    pub min_position: Option<u64>,
    /// How long the projection may wait for --after / --min-position (at most 30s);
    /// then exit code 8.
    #[arg(long, value_parser = saman_runtime::parse_duration, value_name = "DURATION")]
    pub wait: Option<Duration>,
}

/// A write's stream and version, as `--after` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamVersionArg {
    pub stream_id: String,
    pub version: u64,
}

impl FromStr for StreamVersionArg {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (stream_id, version) = input
            .rsplit_once(':')
            .ok_or_else(|| format!("'{input}' is not STREAM:VERSION (e.g. zone.zone-01:7)"))?;
        let version = version
            .parse()
            .map_err(|_| format!("'{version}' is not a stream version"))?;
        Ok(StreamVersionArg {
            stream_id: stream_id.to_string(),
            version,
        })
    }
}

/// Who makes a write, and its submission header.
#[derive(Debug, Clone, Default, Args)]
pub struct WriteOpts {
    /// Who acts: office:USER, supervisor:USER, member:NGO/MEMBER or
    /// officer:AGENCY/USER. Officials default to office:$USER / supervisor:$USER.
    #[arg(long = "as", env = "SAMAN_AS", value_name = "ACTOR")]
    pub actor: Option<ActorArg>,
    /// When the act happened: RFC 3339 (2018-04-20T10:00:00+04:30) or a day (noon in
    /// Tehran); default now. Lateness is judged on it when intake vouches for it
    /// (within its tolerance, attested with --attest, or a deployment trusting claimed
    /// times); otherwise on when intake received the write.
    #[arg(long = "at", value_name = "WHEN")]
    pub occurred_at: Option<String>,
    /// Attest the time given with --at, for the actor --as names, with this reason
    /// (the programme office entering a paper form): the write is sent with the
    /// attester's token (--attester with the development key, or --token).
    #[arg(long, value_name = "REASON")]
    pub attest: Option<String>,
    /// Who attests (with --attest): office:USER; default office:$USER.
    #[arg(long, value_name = "ACTOR", requires = "attest")]
    pub attester: Option<ActorArg>,
    /// The submission id (UUID). A retry with the same id records nothing new and
    /// prints the first reply; default a new UUIDv7.
    #[arg(long, value_name = "UUID")]
    pub submission_id: Option<Uuid>,
    /// Refuse the write (exit code 6) unless the stream is still at this version.
    #[arg(long, value_name = "VERSION")]
    pub expected_version: Option<u64>,
    /// Print only the id of what was created or changed (for scripts:
    /// `need=$(saman need declare ... -q)`).
    #[arg(short, long)]
    pub quiet: bool,
}

// ---- zones ----------------------------------------------------------------------------

#[derive(Debug, Subcommand)]
pub enum ZoneCommand {
    /// Register a zone and its year-end '97 goals (programme office).
    #[command(
        after_help = "Example:\n  saman zone register zone-01 --name-en 'Zone 01' --name-fa 'منطقه ۱' \\\n      \
                            --goal 'water:infrastructural:3:Water network:شبکه آب' \\\n      \
                            --goal 'literacy:social:1:Adult literacy:سوادآموزی'"
    )]
    Register(RegisterZoneArgs),
    /// One zone: needs, proposals, unanswered needs, projects, progress toward its goals.
    #[command(after_help = "Example:\n  saman zone show zone-03 --as-of 1397-09-30")]
    Show {
        zone: String,
        #[command(flatten)]
        read: ReadOpts,
    },
    /// A zone's progress at each Solar Hijri month's end (infrastructural, social,
    /// overall against expected), to draw a curve.
    #[command(after_help = "Example:\n  saman zone series zone-03 --as-of 1397-12-29")]
    Series {
        zone: String,
        #[command(flatten)]
        read: ReadOpts,
    },
}

/// What is registered under a name in both languages: `--name-fa` and `--name-en`.
#[derive(Debug, Args)]
pub struct NameArgs {
    #[arg(long)]
    pub name_fa: String,
    #[arg(long)]
    pub name_en: String,
}

#[derive(Debug, Args)]
pub struct RegisterZoneArgs {
    /// The zone's code: lower-case letters, digits and '-', e.g. zone-01.
    pub code: String,
    #[command(flatten)]
    pub names: NameArgs,
    /// A goal, CODE:APPROACH:WEIGHT:TITLE_EN[:TITLE_FA]; APPROACH is
    /// infrastructural or social, WEIGHT 1..100. Repeat for each goal.
    #[arg(long = "goal", value_name = "GOAL", required = true)]
    pub goals: Vec<GoalArg>,
    #[command(flatten)]
    pub write: WriteOpts,
}

/// One goal of `zone register --goal`.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalArg(pub pb::GoalInput);

impl FromStr for GoalArg {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = input.splitn(5, ':').collect();
        if parts.len() < 4 {
            return Err(format!(
                "'{input}' is not CODE:APPROACH:WEIGHT:TITLE_EN[:TITLE_FA] \
                 (e.g. water:infrastructural:3:Water network:شبکه آب)"
            ));
        }
        let approach = ApproachArg::from_str(parts[1], true).map_err(|_| {
            format!(
                "'{}' is not an approach: infrastructural or social",
                parts[1]
            )
        })?;
        let weight = parts[2]
            .parse()
            .map_err(|_| format!("'{}' is not a weight (1..100)", parts[2]))?;
        Ok(GoalArg(pb::GoalInput {
            code: parts[0].to_string(),
            approach: approach.to_proto() as i32,
            title_en: parts[3].to_string(),
            title_fa: parts.get(4).unwrap_or(&"").to_string(),
            weight,
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApproachArg {
    /// زیرساختی
    Infrastructural,
    /// اجتماعی
    Social,
}

impl ApproachArg {
    pub fn to_proto(self) -> events::Approach {
        match self {
            ApproachArg::Infrastructural => events::Approach::Infrastructural,
            ApproachArg::Social => events::Approach::Social,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorityArg {
    Low,
    Medium,
    High,
    Urgent,
}

impl PriorityArg {
    pub fn to_proto(self) -> events::Priority {
        match self {
            PriorityArg::Low => events::Priority::Low,
            PriorityArg::Medium => events::Priority::Medium,
            PriorityArg::High => events::Priority::High,
            PriorityArg::Urgent => events::Priority::Urgent,
        }
    }
}

// ---- programme office -----------------------------------------------------------------

#[derive(Debug, Subcommand)]
pub enum ProgrammeCommand {
    /// Set the programme's dates: the deadlines, the operational start, the goal date.
    #[command(
        after_help = "Example:\n  saman programme dates --needs-deadline 1397-01-31 \
                            --proposals-deadline 1397-01-31 \\\n      \
                            --operational-start 1397-02-01 --goal-date 1397-12-29"
    )]
    Dates {
        /// Last day on which the NGOs' needs count as on time.
        #[arg(long, value_name = "DAY")]
        needs_deadline: String,
        /// Last day on which the agencies' proposals count as on time.
        #[arg(long, value_name = "DAY")]
        proposals_deadline: String,
        /// First day of the executive and operational phase.
        #[arg(long, value_name = "DAY")]
        operational_start: String,
        /// The year-end '97 goal date.
        #[arg(long, value_name = "DAY")]
        goal_date: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Register an executive agency.
    #[command(
        after_help = "Example:\n  saman agency register water --name-en 'Water and Wastewater Co. (fictional)' \
                            --name-fa 'شرکت آب و فاضلاب'"
    )]
    Register {
        code: String,
        #[command(flatten)]
        names: NameArgs,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Subcommand)]
pub enum NgoCommand {
    /// Record an NGO approved by the Ministry of Interior.
    #[command(
        after_help = "Example:\n  saman ngo register ngo-01 --name-en 'Hamyar (fictional)' \
                            --name-fa 'سمن همیار' --ministry-ref MOI-1396-001"
    )]
    Register {
        code: String,
        #[command(flatten)]
        names: NameArgs,
        /// The Ministry of Interior's approval reference.
        #[arg(long, value_name = "REF")]
        ministry_ref: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Approve a member of an NGO.
    #[command(
        after_help = "Example:\n  saman member approve ngo-01 m-001 --full-name 'Member 001'"
    )]
    Approve {
        ngo: String,
        member: String,
        #[arg(long)]
        full_name: String,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// Revoke a member's approval.
    #[command(after_help = "Example:\n  saman member revoke ngo-01 m-001 --reason 'left the NGO'")]
    Revoke {
        ngo: String,
        member: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

// ---- NGO members ----------------------------------------------------------------------

#[derive(Debug, Subcommand)]
pub enum NeedCommand {
    /// Declare a need of a zone.
    #[command(
        after_help = "Example:\n  saman need declare zone-01 --as member:ngo-01/m-001 --approach social \\\n      \
                            --title 'No school within 2 km' --households 120 --priority high --at 1397-01-20"
    )]
    Declare {
        /// The zone, e.g. zone-01.
        zone: String,
        /// Infrastructural (زیرساختی) or social (اجتماعی).
        #[arg(long, value_enum)]
        approach: ApproachArg,
        /// What is needed, in a line.
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Households affected.
        #[arg(long, value_name = "N")]
        households: u32,
        #[arg(long, value_enum, default_value = "medium")]
        priority: PriorityArg,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// Refer a declared need to an executive agency.
    #[command(
        after_help = "Example:\n  saman need refer zone-01 NEED_ID --agency water --as member:ngo-01/m-001 \
                            --note 'please survey'"
    )]
    Refer {
        zone: String,
        need: String,
        #[arg(long)]
        agency: String,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Report a social activity held in a zone.
    #[command(
        after_help = "Example:\n  saman activity report zone-02 --as member:ngo-02/m-011 \
                            --title 'Literacy class' --participants 25 --held-on 1397-03-10"
    )]
    Report {
        zone: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, value_name = "N")]
        participants: u32,
        #[arg(long, value_name = "DAY")]
        held_on: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

// ---- agency officers ------------------------------------------------------------------

#[derive(Debug, Subcommand)]
pub enum ReferralCommand {
    /// Answer a referral made to your agency.
    #[command(
        after_help = "Example:\n  saman referral answer zone-01 REFERRAL_ID --accept --answer 'survey planned' \
                            --as officer:water/officer-1"
    )]
    #[command(group = clap::ArgGroup::new("verdict").required(true).args(["accept", "decline"]))]
    Answer {
        zone: String,
        referral: String,
        /// The agency takes the need on.
        #[arg(long)]
        accept: bool,
        /// The agency does not take the need on.
        #[arg(long)]
        decline: bool,
        #[arg(long)]
        answer: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProposalCommand {
    /// Submit a proposal answering declared needs of a zone (agency officer).
    #[command(
        after_help = "Example:\n  saman proposal submit zone-01 --need NEED_ID --approach infrastructural \\\n      \
                            --title 'Water network, phase 1' --budget 12000000000 --start 1397-02-15 --end 1397-11-30 \\\n      \
                            --goal water --as officer:water/officer-1"
    )]
    Submit {
        zone: String,
        /// A need the proposal answers (repeat for several).
        #[arg(long = "need", value_name = "NEED_ID", required = true)]
        needs: Vec<String>,
        #[arg(long, value_enum)]
        approach: ApproachArg,
        #[arg(long)]
        title: String,
        /// Budget in rials.
        #[arg(long, value_name = "RIALS")]
        budget: u64,
        #[arg(long, value_name = "DAY")]
        start: String,
        #[arg(long, value_name = "DAY")]
        end: String,
        /// A goal of the zone the proposal serves (repeat for several); without any,
        /// every goal of its approach.
        #[arg(long = "goal", value_name = "GOAL_CODE")]
        goals: Vec<String>,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// Approve a pending proposal (county supervisor).
    #[command(
        after_help = "Example:\n  saman proposal approve zone-01 PROPOSAL_ID --as supervisor:reza"
    )]
    Approve {
        zone: String,
        proposal: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// Reject a pending proposal, saying why (county supervisor).
    #[command(
        after_help = "Example:\n  saman proposal reject zone-01 PROPOSAL_ID --reason 'over budget'"
    )]
    Reject {
        zone: String,
        proposal: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProgressCommand {
    /// Report an approved project's progress, in percent.
    #[command(
        after_help = "Example:\n  saman progress report zone-03 PROPOSAL_ID 80 --as officer:water/officer-1 \
                            --note 'pipes laid'"
    )]
    Report {
        zone: String,
        proposal: String,
        /// 0..100.
        percent: u32,
        /// The day the figure is true of (default: the day of the report).
        #[arg(long, value_name = "DAY")]
        as_of: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        /// Why, when the percent is lower than the last report.
        #[arg(long, default_value = "")]
        correction: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Mark an approved project as completed (its progress becomes 100%).
    #[command(
        after_help = "Example:\n  saman project complete zone-03 PROPOSAL_ID --on 1397-12-20 \
                            --as officer:water/officer-1"
    )]
    Complete {
        zone: String,
        proposal: String,
        /// The day it was completed (default: the day of the report).
        #[arg(long, value_name = "DAY")]
        on: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Subcommand)]
pub enum SupervisionCommand {
    /// File a supervision report on an NGO (county supervisor).
    #[command(
        after_help = "Example:\n  saman supervision report ngo-01 --zone zone-01 --rating 4 \
                            --findings 'needs well documented'"
    )]
    Report {
        ngo: String,
        /// The zone the report is about, if one.
        #[arg(long)]
        zone: Option<String>,
        #[arg(long)]
        findings: String,
        /// 1 (poor) .. 5 (excellent).
        #[arg(long)]
        rating: u32,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// The supervision reports: per NGO how many, the mean and latest rating; each
    /// report with its findings.
    #[command(after_help = "Example:\n  saman supervision show --as-of 1397-12-29")]
    Show(ReadOpts),
}

// ---- reading further ------------------------------------------------------------------

#[derive(Debug, Args)]
pub struct TimelineArgs {
    pub zone: String,
    /// Entries per page (at most 500).
    #[arg(long, default_value_t = 50)]
    pub page_size: u32,
    /// The page after a previous one (the token it printed).
    #[arg(long, value_name = "TOKEN", conflicts_with = "all")]
    pub page_token: Option<String>,
    /// Every page, not only the first.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub read: ReadOpts,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    pub zone: String,
    /// The day to look at (default today in Tehran).
    #[arg(long, value_name = "DAY")]
    pub as_of: Option<String>,
    /// Stop after this many updates (the first, current view counts as one).
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: Option<EventsCommand>,
    /// Where NATS is, its TLS and credentials (as the services take them).
    #[command(flatten)]
    pub nats: saman_runtime::flags::NatsFlags,
    /// The JetStream stream intake publishes to.
    #[arg(long, env = "SAMAN_STREAM", default_value = saman_contract::STREAM_NAME)]
    pub stream: String,
    /// Only this zone's events (subject saman.events.v1.zone.ZONE.>).
    #[arg(long, conflicts_with = "subject")]
    pub zone: Option<String>,
    /// Only events of this type, e.g. ProgressReported.
    #[arg(long = "type", value_name = "EVENT_TYPE", conflicts_with = "subject")]
    pub event_type: Option<String>,
    /// Any subject filter, e.g. 'saman.events.v1.ngo.>'.
    #[arg(long)]
    pub subject: Option<String>,
    /// Keep following new events after the stored ones (Ctrl-C stops).
    #[arg(long)]
    pub follow: bool,
    /// Only new events, not the stored ones (implies --follow).
    #[arg(long)]
    pub new: bool,
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print the JWKS of intake's event signing keys (their public halves), for the
    /// projection's --event-keys and for every subscriber that verifies events.
    #[command(after_help = "Examples:\n  \
        saman events keys --generate --signing-key .saman/event-signing-key.pem > .saman/event-keys.json\n  \
        saman events keys --signing-key new.pem --keep event-keys.json > event-keys.next.json")]
    Keys {
        /// An Ed25519 private key (PKCS#8 PEM) intake signs with; repeat for several.
        #[arg(long, value_name = "FILE", required = true)]
        signing_key: Vec<std::path::PathBuf>,
        /// The key id intake is given (--event-signing-key-id), for a single
        /// --signing-key; by default its RFC 7638 thumbprint, as intake derives it.
        #[arg(long, value_name = "ID")]
        key_id: Option<String>,
        /// The keys of this JWKS stay in the set (a rotation: earlier keys still verify
        /// the history).
        #[arg(long, value_name = "JWKS")]
        keep: Vec<std::path::PathBuf>,
        /// Make the first --signing-key (a new random key, readable by you only) if the
        /// file does not exist.
        #[arg(long)]
        generate: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Applied position, stream head, lag, parked events, generation.
    #[command(after_help = "Example:\n  saman admin status")]
    Status,
    /// Events the projection could not decode or apply, with the reason.
    #[command(after_help = "Example:\n  saman admin parked")]
    Parked,
    /// Rebuild every read model from the first event while the projection serves.
    #[command(after_help = "Example:\n  saman admin rebuild")]
    Rebuild,
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The programme year; 1397 is the one the seed document describes.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(["1397"]))]
    pub year: String,
    /// The seed of the scenario's figures (households, budgets, which needs are late,
    /// how fast each zone goes). The same seed gives the same submissions.
    #[arg(long, default_value_t = 1397)]
    pub seed: u64,
    /// Submissions in flight at once (each zone's in its order).
    #[arg(long, default_value_t = 10)]
    pub concurrency: usize,
    /// Do not draw the progress bar (it is also left out when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.has_subcommands() {
                for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                    walk(sub, &path, missing);
                }
            } else if !cmd
                .get_after_help()
                .is_some_and(|h| h.to_string().contains("saman "))
            {
                missing.push(path);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "no example in the help of {missing:?}");
    }

    #[test]
    fn a_goal_reads_its_five_parts_and_titles_may_hold_colons_in_persian() {
        let goal: GoalArg = "water:infrastructural:3:Water network:شبکه آب: فاز ۱"
            .parse()
            .unwrap();
        assert_eq!(goal.0.code, "water");
        assert_eq!(goal.0.approach, events::Approach::Infrastructural as i32);
        assert_eq!(goal.0.weight, 3);
        assert_eq!(goal.0.title_en, "Water network");
        assert_eq!(goal.0.title_fa, "شبکه آب: فاز ۱");
        assert!(
            "water:pipes:3:x"
                .parse::<GoalArg>()
                .unwrap_err()
                .contains("approach")
        );
        assert!("water:social".parse::<GoalArg>().is_err());
    }

    #[test]
    fn after_reads_stream_and_version() {
        let arg: StreamVersionArg = "zone.zone-01:7".parse().unwrap();
        assert_eq!(arg.stream_id, "zone.zone-01");
        assert_eq!(arg.version, 7);
        assert!("zone.zone-01".parse::<StreamVersionArg>().is_err());
    }
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The identity provider: its OpenID issuer URL (the discovery document is read
    /// from URL/.well-known/openid-configuration).
    #[arg(long, env = "SAMAN_LOGIN_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,
    /// The client registered at the provider for the command line: public (no
    /// secret), with the device authorization grant enabled.
    #[arg(
        long,
        env = "SAMAN_LOGIN_CLIENT_ID",
        default_value = "saman-cli",
        value_name = "ID"
    )]
    pub client_id: String,
    /// The scopes asked for (repeat, or separate with spaces); `offline_access` brings
    /// the refresh token that renews the login.
    #[arg(
        long,
        value_delimiter = ' ',
        default_value = "openid offline_access",
        value_name = "SCOPE"
    )]
    pub scope: Vec<String>,
    /// PEM file of the certificate authorities the provider's HTTPS certificate is
    /// checked against (default: the system's); kept for the renewals.
    #[arg(long, env = "SAMAN_LOGIN_CA_FILE", value_name = "PEM")]
    pub issuer_ca_file: Option<std::path::PathBuf>,
    /// Show who the kept token says you are and until when, instead of logging in.
    #[arg(long)]
    pub status: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a token for an identity, signed with the development key (--dev-key);
    /// refused without one. Real tokens come from the identity provider.
    #[command(
        after_help = "Examples:\n  saman token mint --as member:ngo-01/m-001 --dev-key .saman/dev-signing-key.pem\n  \
                            export SAMAN_TOKEN=$(saman token mint --as operator:ops)"
    )]
    Mint {
        /// Whom the token names: office:USER, supervisor:USER, member:NGO/MEMBER,
        /// officer:AGENCY/USER or operator:USER.
        #[arg(long = "as", value_name = "IDENTITY")]
        identity: String,
        /// How long the token is valid.
        #[arg(long, default_value = "1h", value_parser = saman_runtime::parse_duration,
              value_name = "DURATION")]
        ttl: Duration,
    },
    /// Make a development signing key and the JWKS that publishes it, unless they
    /// exist: DIR/dev-signing-key.pem (readable by you only) and DIR/dev-jwks.json, for
    /// services started with --auth-jwks-file DIR/dev-jwks.json.
    #[command(after_help = "Example:\n  saman token dev-keys --dir .saman")]
    DevKeys {
        #[arg(long, default_value = ".saman", value_name = "DIR")]
        dir: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Make a throwaway certificate authority and the certificates it signs, unless
    /// they exist: DIR/ca.pem (what clients trust: --ca-file), DIR/server.pem and
    /// DIR/server-key.pem (for 127.0.0.1 and localhost: the services' --tls-cert and
    /// --tls-key), DIR/client.pem and DIR/client-key.pem (mutual TLS: --client-cert,
    /// --client-key). For development only: a deployment uses its own authority.
    #[command(after_help = "Example:\n  saman tls dev-certs --dir .saman/tls")]
    DevCerts {
        #[arg(long, default_value = ".saman/tls", value_name = "DIR")]
        dir: std::path::PathBuf,
    },
}
