//! The gRPC services: the programme office's queries (`Projection`) and the
//! operators' controls (`ProjectionAdmin`). Each query reads the served generation
//! after the `Read` header's wait, and says which position it reflects.

use std::pin::Pin;
use std::time::Duration;

use async_nats::jetstream;
use futures::Stream;
use jiff::Timestamp;
use saman_domain::Day;
use saman_domain::values::ZoneCode;
use saman_proto::projection::v1 as pb;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::consumer::{self, FeedConfig};
use crate::error::ProjectionError;
use crate::readmodel::{ParkKind, ReadModelError, ReadModels};
use crate::reply::{self, Reply, date};
use crate::request;
use crate::state::State;

/// The longest a query may wait for the projection to catch up.
const MAX_WAIT: Duration = Duration::from_secs(30);
const DEFAULT_WAIT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct ProjectionService {
    state: State,
}

impl ProjectionService {
    pub fn new(state: State) -> Self {
        Self { state }
    }

    /// Parses the `Read` header, waits as it asks, and says what the reply reflects.
    async fn read(&self, read: Option<pb::Read>) -> Result<(Day, pb::Reflects), ProjectionError> {
        let read = read.unwrap_or_default();
        let as_of = request::as_of(&read.as_of, "read.as_of")?;
        let wait = match read.wait_ms {
            0 => DEFAULT_WAIT,
            ms => Duration::from_millis(u64::from(ms)).min(MAX_WAIT),
        };
        let after: Vec<(String, u64)> = read
            .after
            .into_iter()
            .map(|a| (a.stream_id, a.version))
            .collect();
        let position = self
            .state
            .wait_for(read.min_position, &after, wait)
            .await
            .map_err(|err| ProjectionError::from_wait(err, self.state.position()))?;
        let reflects = pb::Reflects {
            position,
            as_of: Some(date(as_of)),
        };
        Ok((as_of, reflects))
    }

    /// Answers a query: reads the served generation as the `Read` header asks, and builds
    /// the reply from the read model's result, saying what it reflects.
    async fn answer<T, F>(
        &self,
        read: Option<pb::Read>,
        query: F,
    ) -> Result<Response<T::Pb>, Status>
    where
        T: Reply,
        F: AsyncFnOnce(&ReadModels, u64, Day) -> Result<T, ReadModelError>,
    {
        let (as_of, reflects) = self.read(read).await?;
        let served = self.state.served().await;
        let result = query(self.state.models(), served.generation, as_of)
            .await
            .map_err(ProjectionError::from)?;
        Ok(Response::new(result.reply(Some(reflects))))
    }
}

type ProgressStream = Pin<Box<dyn Stream<Item = Result<pb::ZoneProgress, Status>> + Send>>;

#[tonic::async_trait]
impl pb::projection_server::Projection for ProjectionService {
    async fn get_zone_progress(
        &self,
        request: Request<pb::GetZoneProgressRequest>,
    ) -> Result<Response<pb::ZoneProgress>, Status> {
        let request = request.into_inner();
        let zone = request::zone(&request.zone, "zone")?;
        let query = async move |models: &ReadModels, generation, as_of| {
            models.zone_progress(generation, &zone, as_of).await
        };
        self.answer(request.read, query).await
    }

    async fn list_zones(
        &self,
        request: Request<pb::ListZonesRequest>,
    ) -> Result<Response<pb::ListZonesReply>, Status> {
        self.answer(request.into_inner().read, ReadModels::list_zones)
            .await
    }

    async fn get_programme_summary(
        &self,
        request: Request<pb::GetProgrammeSummaryRequest>,
    ) -> Result<Response<pb::ProgrammeSummary>, Status> {
        self.answer(request.into_inner().read, ReadModels::programme_summary)
            .await
    }

    async fn get_compliance(
        &self,
        request: Request<pb::GetComplianceRequest>,
    ) -> Result<Response<pb::Compliance>, Status> {
        self.answer(request.into_inner().read, ReadModels::compliance)
            .await
    }

    async fn get_cooperation(
        &self,
        request: Request<pb::GetCooperationRequest>,
    ) -> Result<Response<pb::Cooperation>, Status> {
        self.answer(request.into_inner().read, ReadModels::cooperation)
            .await
    }

    async fn list_overdue_projects(
        &self,
        request: Request<pb::ListOverdueProjectsRequest>,
    ) -> Result<Response<pb::ListOverdueProjectsReply>, Status> {
        self.answer(request.into_inner().read, ReadModels::overdue_projects)
            .await
    }

    async fn list_open_referrals(
        &self,
        request: Request<pb::ListOpenReferralsRequest>,
    ) -> Result<Response<pb::ListOpenReferralsReply>, Status> {
        self.answer(request.into_inner().read, ReadModels::open_referrals)
            .await
    }

    async fn get_decision_times(
        &self,
        request: Request<pb::GetDecisionTimesRequest>,
    ) -> Result<Response<pb::DecisionTimes>, Status> {
        self.answer(request.into_inner().read, ReadModels::decision_times)
            .await
    }

    async fn get_supervision(
        &self,
        request: Request<pb::GetSupervisionRequest>,
    ) -> Result<Response<pb::Supervision>, Status> {
        self.answer(request.into_inner().read, ReadModels::supervision)
            .await
    }

    async fn get_activities(
        &self,
        request: Request<pb::GetActivitiesRequest>,
    ) -> Result<Response<pb::Activities>, Status> {
        self.answer(request.into_inner().read, ReadModels::activities)
            .await
    }

    async fn get_late_items(
        &self,
        request: Request<pb::GetLateItemsRequest>,
    ) -> Result<Response<pb::LateItems>, Status> {
        self.answer(request.into_inner().read, ReadModels::late_items)
            .await
    }

    async fn list_zone_budgets(
        &self,
        request: Request<pb::ListZoneBudgetsRequest>,
    ) -> Result<Response<pb::ListZoneBudgetsReply>, Status> {
        self.answer(request.into_inner().read, ReadModels::zone_budgets)
            .await
    }

    async fn get_ngo_members(
        &self,
        request: Request<pb::GetNgoMembersRequest>,
    ) -> Result<Response<pb::NgoMembersReply>, Status> {
        self.answer(request.into_inner().read, ReadModels::ngo_members)
            .await
    }

    async fn get_corrections(
        &self,
        request: Request<pb::GetCorrectionsRequest>,
    ) -> Result<Response<pb::Corrections>, Status> {
        self.answer(request.into_inner().read, ReadModels::corrections)
            .await
    }

    async fn get_zone_series(
        &self,
        request: Request<pb::GetZoneSeriesRequest>,
    ) -> Result<Response<pb::ZoneSeries>, Status> {
        let request = request.into_inner();
        let zone = request::zone(&request.zone, "zone")?;
        let query = async move |models: &ReadModels, generation, as_of| {
            models.zone_series(generation, &zone, as_of).await
        };
        self.answer(request.read, query).await
    }

    async fn get_zone_timeline(
        &self,
        request: Request<pb::GetZoneTimelineRequest>,
    ) -> Result<Response<pb::ZoneTimeline>, Status> {
        let request = request.into_inner();
        let zone = request::zone(&request.zone, "zone")?;
        let after = request::page_token(&request.page_token)?;
        let page_size = match request.page_size {
            0 => 50,
            n => n.min(500),
        };
        let query = async move |models: &ReadModels, generation, as_of| {
            models
                .zone_timeline(generation, &zone, as_of, page_size, after)
                .await
        };
        self.answer(request.read, query).await
    }

    type WatchZoneProgressStream = ProgressStream;

    async fn watch_zone_progress(
        &self,
        request: Request<pb::WatchZoneProgressRequest>,
    ) -> Result<Response<Self::WatchZoneProgressStream>, Status> {
        let request = request.into_inner();
        let zone = request::zone(&request.zone, "zone")?;
        let fixed_day = if request.as_of.trim().is_empty() {
            None
        } else {
            Some(request::as_of(&request.as_of, "as_of")?)
        };
        let state = self.state.clone();
        // Subscribe before the first read, so no change between the two is missed.
        let mut changes = state.subscribe();
        let first = progress_now(&state, &zone, fixed_day).await?;
        let stream = async_stream(move |tx| async move {
            if tx.send(Ok(first)).await.is_err() {
                return;
            }
            loop {
                // A watch the caller dropped ends now, not at the zone's next change:
                // its slot in the RPC layer is given back with the stream, and the task
                // must not outlive it either.
                let changed = tokio::select! {
                    changed = changes.recv() => changed,
                    () = tx.closed() => return,
                };
                match changed {
                    Ok(change) if !change.touches(zone.as_str()) => continue,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
                let reply = progress_now(&state, &zone, fixed_day).await;
                if tx.send(reply).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

async fn progress_now(
    state: &State,
    zone: &ZoneCode,
    day: Option<Day>,
) -> Result<pb::ZoneProgress, Status> {
    let as_of = day.unwrap_or_else(|| Day::in_tehran(Timestamp::now()));
    let served = state.served().await;
    let position = state.position();
    let progress = state
        .models()
        .zone_progress(served.generation, zone, as_of)
        .await
        .map_err(ProjectionError::from)?;
    Ok(progress.reply(Some(pb::Reflects {
        position,
        as_of: Some(date(as_of)),
    })))
}

/// A stream fed by a task through a small channel; the task ends when the client
/// goes away (the channel closes).
fn async_stream<F, Fut>(body: F) -> impl Stream<Item = Result<pb::ZoneProgress, Status>> + Send
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<pb::ZoneProgress, Status>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(body(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// The operators' service.
#[derive(Clone)]
pub struct AdminService {
    state: State,
    js: jetstream::Context,
    feed: FeedConfig,
    stop: CancellationToken,
}

impl AdminService {
    pub fn new(
        state: State,
        js: jetstream::Context,
        feed: FeedConfig,
        stop: CancellationToken,
    ) -> Self {
        Self {
            state,
            js,
            feed,
            stop,
        }
    }

    /// Starts a rebuild into a new generation, which replaces the served one once it has
    /// caught up: the new generation's number. Refused while one runs.
    pub async fn start_rebuild(&self) -> Result<u64, ProjectionError> {
        if let Some((generation, _)) = self.state.rebuild() {
            return Err(ProjectionError::RebuildRunning(format!(
                "a rebuild of generation {generation} is running"
            )));
        }
        let generation = self.state.models().start_generation().await?;
        if !self.state.begin_rebuild(generation) {
            return Err(ProjectionError::RebuildRunning(
                "a rebuild is running".into(),
            ));
        }
        let (js, feed, state, stop) = (
            self.js.clone(),
            self.feed.clone(),
            self.state.clone(),
            self.stop.clone(),
        );
        tokio::spawn(async move {
            tracing::info!(generation, "rebuild started");
            if let Err(err) = consumer::run_rebuild(js, feed, state.clone(), generation, stop).await
            {
                tracing::error!(generation, error = %err, "rebuild failed; the served read models are unchanged");
            }
            state.end_rebuild();
        });
        Ok(generation)
    }
}

#[tonic::async_trait]
impl pb::projection_admin_server::ProjectionAdmin for AdminService {
    async fn get_status(
        &self,
        _request: Request<pb::GetStatusRequest>,
    ) -> Result<Response<pb::ProjectionStatus>, Status> {
        let nats = |e: &dyn std::fmt::Display| ProjectionError::Nats(e.to_string());
        let mut stream = self
            .js
            .get_stream(&self.feed.stream)
            .await
            .map_err(|e| nats(&e))?;
        let head = stream
            .info()
            .await
            .map_err(|e| nats(&e))?
            .state
            .last_sequence;
        let served = self.state.served().await;
        let generation = served.generation;
        let position = self.state.position();
        let parked = self
            .state
            .models()
            .parked(generation)
            .await
            .map_err(ProjectionError::from)?;
        let conflicts = parked
            .iter()
            .filter(|p| p.kind == ParkKind::Conflict)
            .count();
        Ok(Response::new(pb::ProjectionStatus {
            position,
            head,
            lag: head.saturating_sub(position),
            parked: u32::try_from(parked.len()).unwrap_or(u32::MAX),
            generation,
            rebuild_position: self.state.rebuild().map(|(_, position)| position),
            conflicts: u32::try_from(conflicts).unwrap_or(u32::MAX),
        }))
    }

    async fn list_parked(
        &self,
        _request: Request<pb::ListParkedRequest>,
    ) -> Result<Response<pb::ListParkedReply>, Status> {
        let served = self.state.served().await;
        let events = self
            .state
            .models()
            .parked(served.generation)
            .await
            .map_err(ProjectionError::from)?;
        Ok(Response::new(pb::ListParkedReply {
            events: events.into_iter().map(reply::parked_event).collect(),
        }))
    }

    async fn rebuild(
        &self,
        _request: Request<pb::RebuildRequest>,
    ) -> Result<Response<pb::RebuildReply>, Status> {
        let generation = self.start_rebuild().await?;
        Ok(Response::new(pb::RebuildReply { generation }))
    }
}
