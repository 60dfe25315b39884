//! `GET /live`: server-sent events, one `position` event with the position the read
//! models have applied when the stream opens and after every commit that moves it, so
//! that an open page (its script, `assets/live.js`) fetches itself again within a
//! moment of an applied event. Positions are coalesced: a page that is slow to read
//! gets the latest one, never a backlog. The stream ends when the service stops, so
//! that open pages do not hold a graceful shutdown.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::WatchStream;
use tokio_util::sync::CancellationToken;

use crate::state::State;

/// The event stream of `state`'s position until `stop`.
pub fn events(
    state: &State,
    stop: CancellationToken,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let positions = WatchStream::new(state.watch_position())
        .map(|position| {
            Ok(Event::default()
                .event("position")
                .data(position.to_string()))
        })
        .take_until(stop.cancelled_owned());
    Sse::new(positions).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
