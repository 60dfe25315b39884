//! The read models of the projection, in SQL: SQLite (the embedded default: one file) or
//! PostgreSQL (production). Both behave the same: one SQL text serves both (see
//! `sql.rs`, where the few differences are), and the same tests run on both.
//!
//! Layout: [`ReadModels`] (here) opens the database and hands each call to the module of
//! its concern: `answers` (what the queries answer, as plain data), `generations` (which one is served, checkpoints, rebuilds, dumps),
//! `apply` (a batch, per aggregate), `queries` (one module per read model, returning
//! plain results; the edges turn them into replies). `facts` holds the tables' rows, each
//! declared once with `table!` (`table.rs`: its columns, how they are stored and read back).
//!
//! Design:
//! - **Facts, aggregated as of a day.** The tables are normalised facts taken from the
//!   events (zones and their goals, NGOs, agencies, needs with their declared day and late
//!   flag, referrals with the days referred and answered, social activities, proposals
//!   with the days submitted and decided and their completion, the needs each proposal
//!   answers, progress reports, supervision reports, timeline entries). Every query
//!   aggregates the facts "as of" a day D: those that happened (the event's
//!   `occurred_at`, as an Asia/Tehran day) on or before D, and for progress the reports
//!   whose own `as_of` is on or before D. The rules are in [`saman_domain::progress`] and
//!   `queries`.
//! - **Exactly-once effect.** [`ReadModels::apply`] applies a batch of JetStream messages
//!   and moves the checkpoint in ONE transaction. A redelivered message, or a copy of an
//!   event at another stream sequence, is recognised (`applied` holds every (stream,
//!   version) applied, with its event id) and skipped. Another event id at an applied
//!   (stream, version) is a **conflict**: parked, never dropped.
//! - **Parking.** A message the event contract (`saman-contract`) cannot decode, an
//!   event that cannot be applied (an unknown zone, proposal, need or referral in its own
//!   stream; a body that disagrees with its stream), or one the database refuses for good
//!   (see [`FailureKind`]), is parked with the reason, and the rest of the batch goes on.
//! - **Stored days** are ISO `YYYY-MM-DD` text, read back with `Day::parse_iso`.
//! - **Generations.** Every row carries its `generation`. A rebuild fills generation g+1
//!   from the first event while g is served; [`ReadModels::promote`] then switches to it
//!   and deletes g, in one transaction.
//!
//! Migrations are embedded in the binary and run by [`ReadModels::open`].

mod answers;
mod apply;
mod error;
mod facts;
mod generations;
pub use generations::DERIVATION;
mod queries;
mod schema;
mod sentences;
mod sql;
mod table;

use std::collections::BTreeSet;

use saman_domain::Day;
use saman_domain::values::ZoneCode;
use saman_sql::{PoolConfig, Pools, dispatch, migrations};

pub use answers::{
    Activities, Activity, ActivityCount, AgencyCooperation, Compliance, Correction, Corrections,
    Count, Decided, DecisionTimes, GoalProgress, LateItem, LateItems, MemberStatus, Named, Names,
    NeedCounts, NeedSummary, NgoMembers, NgoSupervision, OpenCount, OpenReferral, OpenReferrals,
    OverdueProject, ParkedEvent, ProgrammeSummary, Progress, Project, ProposalCounts, ProposalWait,
    Rejection, Submitter, Supervision, SupervisionReport, TimelineEntry, TimelinePage, ZoneBudget,
    ZoneProgress, ZoneSeries, ZoneSummary,
};
pub use error::{FailureKind, ReadModelError, SqlError};
pub use facts::ParkKind;

/// One message from JetStream.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The JetStream stream sequence.
    pub position: u64,
    pub subject: String,
    pub payload: bytes::Bytes,
    /// The `traceparent` header: the trace of the submission that recorded the event.
    pub traceparent: Option<String>,
    /// Why the message's signature does not show it is intake's (checked by the feed
    /// against the event keys); `None` when it does, or when nothing is checked. Such a
    /// message is parked and nothing else of it is recorded: not its (stream, version),
    /// so intake's real event there still applies.
    pub unverified: Option<saman_contract::Unverified>,
}

/// What [`ReadModels::apply`] did with a batch.
#[derive(Debug, Default, Clone)]
pub struct ApplyReport {
    /// Events applied.
    pub applied: usize,
    /// Messages skipped as seen before: redelivered, or a copy of an applied event.
    pub duplicates: usize,
    /// Messages parked (undecodable, refused by the read models or their database, or in
    /// conflict), conflicts included.
    pub parked: usize,
    /// Of the parked messages, conflicts: another event id at a (stream id, version)
    /// already applied.
    pub conflicts: usize,
    /// The checkpoint after the batch: the highest stream sequence seen.
    pub position: u64,
    /// Zone codes whose progress or timeline may have changed.
    pub zones_changed: BTreeSet<String>,
    /// (stream id, version) of every decoded event of the batch: applied, parked after
    /// decoding, or already there.
    pub applied_versions: Vec<(String, u64)>,
}

impl ApplyReport {
    /// Adds what a later part of the same batch did.
    fn absorb(&mut self, later: ApplyReport) {
        self.applied += later.applied;
        self.duplicates += later.duplicates;
        self.parked += later.parked;
        self.conflicts += later.conflicts;
        self.position = self.position.max(later.position);
        self.zones_changed.extend(later.zones_changed);
        self.applied_versions.extend(later.applied_versions);
    }
}

/// The SQL engine behind [`ReadModels`].
pub use saman_sql::Backend;

/// The read models. Cheap to clone: the connection pool inside is shared.
#[derive(Clone, Debug)]
pub struct ReadModels {
    pools: Pools,
}

/// The queries of the whole programme as of a day, each `queries::<module>::<name>`
/// on whichever backend the read models are on.
macro_rules! as_of_queries {
    ($($(#[doc = $doc:literal])+ $name:ident in $module:ident -> $out:ty;)+) => {
        $(
            $(#[doc = $doc])+
            pub async fn $name(&self, generation: u64, as_of: Day) -> Result<$out, ReadModelError> {
                dispatch!(&self.pools, pool => queries::$module::$name(pool, generation, as_of).await)
            }
        )+
    };
}

impl ReadModels {
    /// Opens the read models, runs the embedded migrations and, on a fresh database,
    /// creates generation 1 as the current one.
    ///
    /// - `sqlite://path?mode=rwc` (or `sqlite:path`): the file is created if missing; WAL,
    ///   `synchronous=FULL`, a busy timeout;
    /// - `postgres://...` / `postgresql://...`.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, ReadModelError> {
        let config = PoolConfig {
            application_name: "saman-projection",
            max_connections,
            statement_cache: None,
        };
        let pools = saman_sql::open(url, &config, &migrations!()).await?;
        dispatch!(&pools, pool => generations::init(pool).await)?;
        Ok(ReadModels { pools })
    }

    pub fn backend(&self) -> Backend {
        self.pools.backend()
    }

    /// Whether the served generation was built by an earlier version's rules and must be
    /// rebuilt to hold what this version keeps (see [`DERIVATION`]).
    pub async fn stale(&self) -> Result<bool, ReadModelError> {
        dispatch!(&self.pools, pool => generations::stale(pool).await)
    }

    /// The generation queries should read.
    pub async fn current_generation(&self) -> Result<u64, ReadModelError> {
        dispatch!(&self.pools, pool => generations::current(pool).await)
    }

    /// The generation's checkpoint: the highest JetStream sequence it has seen.
    pub async fn position(&self, generation: u64) -> Result<u64, ReadModelError> {
        dispatch!(&self.pools, pool => generations::position(pool, generation).await)
    }
    /// Applies a batch to `generation` in ONE transaction, message by message in order:
    /// - a message seen before (redelivered at or below the checkpoint: parked then, or
    ///   its (stream, version) applied) is skipped and counted a duplicate;
    /// - a payload that is not a `saman.events.v1.Envelope` is parked with the reason;
    /// - an envelope whose stream id is not one (`<kind>.<key>`, as `StreamId` writes it)
    ///   is parked too, and its stream id is not recorded;
    /// - an envelope with a valid stream id and version whose other fields the event
    ///   contract cannot decode (`saman_contract::decode_published`: a missing instant or
    ///   day, an unknown approach, ...) is parked as unreadable with the contract's reason,
    ///   and its (stream, version) is recorded, as below;
    /// - an event whose (stream id, version) was already applied with the same event id
    ///   (a copy published at another position) is a duplicate and skipped; with another
    ///   event id it is a conflict: parked, with both event ids in the reason;
    /// - otherwise its facts are applied; an event that cannot be applied (e.g. about a
    ///   zone or proposal its stream never registered) is parked with the reason and the
    ///   batch goes on. Either way its (stream, version) is recorded, so a copy of it is a
    ///   duplicate;
    /// - an event of a type this version does not know is recorded and skipped (it shows
    ///   on its zone's timeline).
    ///
    /// Finally the checkpoint becomes the highest position seen. The effects and the
    /// checkpoint commit together: a crash before the commit leaves neither, and the
    /// redelivery applies the batch then.
    ///
    /// If the database refuses the batch for good ([`FailureKind::Deterministic`], e.g.
    /// text with a NUL character on PostgreSQL), its messages are applied one at a time,
    /// each with its checkpoint in its own transaction, and a message still refused is
    /// parked alone (its parked row, its (stream, version) if valid, the checkpoint).
    /// A transient failure is returned ([`ReadModelError::is_transient`]): apply the batch
    /// again later.
    ///
    /// Note: a message at or below the checkpoint that was never seen is applied rather
    /// than dropped, so a feed delivering out of order loses nothing.
    pub async fn apply(
        &self,
        generation: u64,
        batch: &[Incoming],
    ) -> Result<ApplyReport, ReadModelError> {
        dispatch!(&self.pools, pool => apply::apply(pool, generation, batch).await)
    }

    /// Starts a rebuild: a new, empty generation (one above the highest ever), not
    /// current. Leftovers of an abandoned rebuild (any generation but the current one)
    /// are deleted.
    pub async fn start_generation(&self) -> Result<u64, ReadModelError> {
        dispatch!(&self.pools, pool => generations::start(pool).await)
    }

    /// Makes `generation` the current one; the one it replaces stays until
    /// [`ReadModels::discard`] (queries may still be reading it).
    pub async fn promote(&self, generation: u64) -> Result<(), ReadModelError> {
        dispatch!(&self.pools, pool => generations::promote(pool, generation).await)
    }

    /// Deletes a generation that is not current, rows and checkpoint. (One left behind
    /// by a stop between promotion and discard goes with the next rebuild's start.)
    pub async fn discard(&self, generation: u64) -> Result<(), ReadModelError> {
        dispatch!(&self.pools, pool => generations::discard(pool, generation).await)
    }

    /// Whether the event (stream, version) was applied to `generation` (or parked after
    /// decoding: it was handled, and waiting for it longer would not change anything).
    /// False for what is not a stream id or a version a stream can have.
    pub async fn has_applied(
        &self,
        generation: u64,
        stream_id: &str,
        version: u64,
    ) -> Result<bool, ReadModelError> {
        dispatch!(&self.pools, pool => generations::has_applied(pool, generation, stream_id, version).await)
    }

    /// The parked messages of a generation, by position.
    pub async fn parked(&self, generation: u64) -> Result<Vec<ParkedEvent>, ReadModelError> {
        dispatch!(&self.pools, pool => queries::parked::parked(pool, generation).await)
    }

    /// Every read-model row of a generation as sorted text lines (`table: col=value ...`,
    /// without the generation and the parking time), to compare two builds.
    pub async fn dump(&self, generation: u64) -> Result<String, ReadModelError> {
        dispatch!(&self.pools, pool => generations::dump(pool, generation).await)
    }

    /// One zone as of `as_of`. [`ReadModelError::NotFound`] if the zone was never
    /// registered.
    pub async fn zone_progress(
        &self,
        generation: u64,
        zone: &ZoneCode,
        as_of: Day,
    ) -> Result<ZoneProgress, ReadModelError> {
        dispatch!(&self.pools, pool => queries::zones::zone_progress(pool, generation, zone, as_of).await)
    }

    /// The programme's operational start and goal date, once set.
    pub async fn programme_dates(
        &self,
        generation: u64,
    ) -> Result<Option<saman_domain::progress::ProgressDates>, ReadModelError> {
        dispatch!(&self.pools, pool => queries::programme::programme_dates(pool, generation).await)
    }

    /// A zone's progress at each Solar Hijri month's end from its registration month
    /// up to `as_of` (and on `as_of`). [`ReadModelError::NotFound`] if the zone was
    /// never registered.
    pub async fn zone_series(
        &self,
        generation: u64,
        zone: &ZoneCode,
        as_of: Day,
    ) -> Result<ZoneSeries, ReadModelError> {
        dispatch!(&self.pools, pool => queries::series::zone_series(pool, generation, zone, as_of).await)
    }

    as_of_queries! {
        /// The zones registered by `as_of`, by code.
        list_zones in zones -> Vec<ZoneSummary>;
        /// The programme as of `as_of`.
        programme_summary in programme -> ProgrammeSummary;
        /// Every NGO and agency (registered by `as_of`, or with submissions by then), by
        /// code, zeros included.
        compliance in compliance -> Compliance;
        /// Referrals per agency as of `as_of`, by code.
        cooperation in cooperation -> Vec<AgencyCooperation>;
        /// The projects overdue on `as_of` (past their planned end, not completed), in
        /// every zone registered by then, the longest overdue first (then by zone and
        /// proposal).
        overdue_projects in overdue -> Vec<OverdueProject>;
        /// The referrals not answered by `as_of`, oldest first, and how many wait per
        /// zone, agency and NGO (each registered by then, zeros included).
        open_referrals in referrals -> OpenReferrals;
        /// Days from submission to the county supervisor's decision: the median and
        /// worst over the proposals decided by `as_of`, each of them, and those pending.
        decision_times in decisions -> DecisionTimes;
        /// The supervision reports filed by `as_of`, per NGO and each one.
        supervision in supervision -> Supervision;
        /// The social activities reported by `as_of`, per zone, per NGO and each one.
        activities in activities -> Activities;
        /// The needs and proposals submitted after their deadline, by `as_of`.
        late_items in late -> LateItems;
        /// Per zone registered by `as_of`: approved budget, households, needs by priority.
        zone_budgets in budgets -> Vec<ZoneBudget>;
        /// Every NGO approved by `as_of` and its members' status on that day.
        ngo_members in members -> Vec<NgoMembers>;
        /// The corrections reported and the rejections decided by `as_of`.
        corrections in corrections -> Corrections;
    }

    /// A page of a zone's timeline (its stream's events and the supervision reports naming
    /// it) that happened on or before `as_of`, oldest first, after position
    /// `after_position` (0 for the first page), with the `after_position` of the next page
    /// if more follow. [`ReadModelError::NotFound`] for a zone never registered.
    pub async fn zone_timeline(
        &self,
        generation: u64,
        zone: &ZoneCode,
        as_of: Day,
        page_size: u32,
        after_position: u64,
    ) -> Result<TimelinePage, ReadModelError> {
        dispatch!(&self.pools, pool => queries::timeline::zone_timeline(pool, generation, zone, as_of, page_size, after_position).await)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        dispatch!(&self.pools, pool => pool.close().await)
    }
}
