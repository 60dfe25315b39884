//! What one client may hold of a service at once, so that no client can exhaust it:
//! calls open on one connection, calls open by one caller, how long a unary call may
//! take, and how many response streams (the projection's watches) are open, by one
//! caller and in all. [`crate::rpc::RpcLayer::with_limits`] enforces them; this module
//! has the flags ([`LimitFlags`]), the bounds ([`Limits`]), the count of what is open
//! ([`Tally`], whose [`Slot`]s give their place back when dropped) and the refusals.
//!
//! A caller is the principal the gate admitted ([`CallerKey`]); a call without one (a
//! public read) is its connection's. A connection is its peer's address ([`Peer`], or
//! the connect info tonic gives a TCP or TLS connection).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The default of `--max-calls-per-connection`: far above what a program keeps open
/// on one connection (the command line's scenario runs 10 at once).
pub const DEFAULT_CALLS_PER_CONNECTION: u32 = 100;
/// The default of `--max-calls-per-caller`, over all of a caller's connections.
pub const DEFAULT_CALLS_PER_CALLER: u32 = 200;
/// The default of `--request-timeout`: above the longest wait a query may ask for
/// (`Read.wait_ms`, at most 30 s), so that its own answer comes first.
pub const DEFAULT_REQUEST_TIMEOUT: &str = "60s";

/// The limits both services take alike, as a clap group each `Config` flattens in.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitFlags {
    /// At most this many calls open at once on one connection; more are refused with
    /// RESOURCE_EXHAUSTED.
    #[arg(long, env = "SAMAN_MAX_CALLS_PER_CONNECTION", default_value_t = DEFAULT_CALLS_PER_CONNECTION, value_parser = count())]
    pub max_calls_per_connection: u32,

    /// At most this many calls open at once by one caller (a token's principal), over
    /// all its connections; more are refused with RESOURCE_EXHAUSTED.
    #[arg(long, env = "SAMAN_MAX_CALLS_PER_CALLER", default_value_t = DEFAULT_CALLS_PER_CALLER, value_parser = count())]
    pub max_calls_per_caller: u32,

    /// A unary call not answered within this is answered DEADLINE_EXCEEDED (a client's
    /// own shorter deadline still applies).
    #[arg(long, env = "SAMAN_REQUEST_TIMEOUT", default_value = DEFAULT_REQUEST_TIMEOUT, value_parser = positive_duration)]
    pub request_timeout: Duration,
}

/// The parser of a limit's flag: a count of at least 1 (0 would refuse every call).
pub fn count() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..)
}

fn positive_duration(input: &str) -> Result<Duration, String> {
    match crate::parse_duration(input)? {
        Duration::ZERO => Err(format!(
            "'{input}' would answer no call in time: use e.g. 30s"
        )),
        duration => Ok(duration),
    }
}

impl Default for LimitFlags {
    fn default() -> Self {
        Self {
            max_calls_per_connection: DEFAULT_CALLS_PER_CONNECTION,
            max_calls_per_caller: DEFAULT_CALLS_PER_CALLER,
            request_timeout: Duration::from_secs(60),
        }
    }
}

impl LimitFlags {
    /// The bounds of these flags, without stream limits.
    pub fn limits(&self) -> Limits {
        Limits {
            calls_per_connection: Bound::new(
                self.max_calls_per_connection,
                "--max-calls-per-connection (SAMAN_MAX_CALLS_PER_CONNECTION)",
            ),
            calls_per_caller: Bound::new(
                self.max_calls_per_caller,
                "--max-calls-per-caller (SAMAN_MAX_CALLS_PER_CALLER)",
            ),
            unary_timeout: self.request_timeout,
            unary_timeout_flag: "--request-timeout (SAMAN_REQUEST_TIMEOUT)",
            streams: None,
        }
    }
}

/// One bound: at most `max` open, set by `flag` (which refusals name).
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub max: usize,
    pub flag: &'static str,
}

impl Bound {
    pub fn new(max: u32, flag: &'static str) -> Self {
        Self {
            max: usize::try_from(max).unwrap_or(usize::MAX),
            flag,
        }
    }
}

/// What the RPC layer bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub calls_per_connection: Bound,
    pub calls_per_caller: Bound,
    pub unary_timeout: Duration,
    pub unary_timeout_flag: &'static str,
    /// Server-streaming calls (watches): per caller, and in all. `None`: only the
    /// call limits apply to them.
    pub streams: Option<StreamLimits>,
}

/// The bounds of open response streams.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub per_caller: Bound,
    pub total: Bound,
}

impl Limits {
    /// These limits, with open streams bounded too.
    pub fn with_streams(mut self, streams: StreamLimits) -> Self {
        self.streams = Some(streams);
        self
    }
}

/// The peer of a connection, in a request's extensions: what a connection's stream
/// gives as its connect info (`tonic::transport::server::Connected`) when it is not
/// a plain `TcpStream` (e.g. TLS), so that its calls are counted per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer(pub SocketAddr);

/// Who a call comes from, as an admission ([`crate::rpc::Admit`]) puts it in the
/// extensions it returns: a key that is the same for every call of one principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallerKey(pub Arc<str>);

/// The connection of a request: its [`Peer`], else tonic's connect info of a plain TCP
/// connection or of a TLS one over TCP (what [`crate::grpc::serve`] serves on).
pub fn connection_of(extensions: &http::Extensions) -> Option<SocketAddr> {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    if let Some(Peer(addr)) = extensions.get::<Peer>() {
        return Some(*addr);
    }
    extensions
        .get::<TcpConnectInfo>()
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .map(TlsConnectInfo::get_ref)
        })
        .and_then(TcpConnectInfo::remote_addr)
}

/// Who holds a place: an authenticated caller, or a connection (a call without one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Holder {
    Caller(CallerKey),
    Connection(SocketAddr),
}

/// What is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    CallsOn(SocketAddr),
    CallsOf(Holder),
    StreamsOf(Holder),
    Streams,
}

/// How many calls and streams are open, by connection and caller; shared by every
/// call of a server.
#[derive(Debug, Default)]
pub struct Tally {
    open: Mutex<HashMap<Key, usize>>,
}

/// A place taken in a [`Tally`], given back when dropped (the call ended, was
/// cancelled, or its stream was dropped).
#[must_use]
pub struct Slot {
    tally: Arc<Tally>,
    key: Key,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .tally
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Why a call was refused: the bound it would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    CallsPerConnection,
    CallsPerCaller,
    StreamsPerCaller,
    Streams,
}

impl Exceeded {
    /// The ErrorInfo reason.
    pub fn reason(self) -> &'static str {
        match self {
            Exceeded::CallsPerConnection => "TOO_MANY_CALLS_PER_CONNECTION",
            Exceeded::CallsPerCaller => "TOO_MANY_CALLS_PER_CALLER",
            Exceeded::StreamsPerCaller => "TOO_MANY_WATCHES_PER_CALLER",
            Exceeded::Streams => "TOO_MANY_WATCHES",
        }
    }
}

impl Tally {
    fn take(self: &Arc<Self>, key: Key, bound: Bound) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key.clone()).or_default();
        if *count >= bound.max {
            if *count == 0 {
                open.remove(&key);
            }
            return None;
        }
        *count += 1;
        Some(Slot {
            tally: self.clone(),
            key,
        })
    }

    /// A place for a call on `connection`.
    pub fn call_on(self: &Arc<Self>, connection: SocketAddr, limits: &Limits) -> Option<Slot> {
        self.take(Key::CallsOn(connection), limits.calls_per_connection)
    }

    /// The places of a call of `holder` (and of its stream, when `streaming` and
    /// streams are bounded), or the first bound it would exceed. `None`: a call of no
    /// caller on a connection of unknown peer, counted only in all.
    pub fn call_of(
        self: &Arc<Self>,
        holder: Option<&Holder>,
        streaming: bool,
        limits: &Limits,
    ) -> Result<Vec<Slot>, Exceeded> {
        let mut slots = Vec::with_capacity(3);
        // A call without a caller is counted on its connection already.
        if let Some(holder @ Holder::Caller(_)) = holder {
            let slot = self.take(Key::CallsOf(holder.clone()), limits.calls_per_caller);
            slots.push(slot.ok_or(Exceeded::CallsPerCaller)?);
        }
        if let (true, Some(streams)) = (streaming, limits.streams) {
            if let Some(holder) = holder {
                let slot = self.take(Key::StreamsOf(holder.clone()), streams.per_caller);
                slots.push(slot.ok_or(Exceeded::StreamsPerCaller)?);
            }
            let slot = self.take(Key::Streams, streams.total);
            slots.push(slot.ok_or(Exceeded::Streams)?);
        }
        Ok(slots)
    }

    /// How many places are taken in all (tests).
    pub fn taken(&self) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.values().sum()
    }
}

/// The refusal of a call that would exceed `exceeded`, from a service whose ErrorInfo
/// domain is `domain`: RESOURCE_EXHAUSTED with a `google.rpc.ErrorInfo` (the reason,
/// metadata `limit`, and `field` = `authorization` when the bound is the caller's: who
/// the caller is comes from that header) and a `google.rpc.QuotaFailure` naming what
/// is counted. Nothing of the request is quoted, so it is always small.
pub fn refusal(
    exceeded: Exceeded,
    holder: Option<&Holder>,
    limits: &Limits,
    domain: &str,
) -> Status {
    let streams = limits.streams.unwrap_or(StreamLimits {
        per_caller: limits.calls_per_caller,
        total: limits.calls_per_caller,
    });
    let authenticated = matches!(holder, Some(Holder::Caller(_)));
    let (bound, counted, what, whose) = match exceeded {
        Exceeded::CallsPerConnection => (
            limits.calls_per_connection,
            "connection",
            "calls",
            "this connection has",
        ),
        Exceeded::CallsPerCaller => (
            limits.calls_per_caller,
            "caller",
            "calls",
            "this caller has",
        ),
        Exceeded::StreamsPerCaller if authenticated => {
            (streams.per_caller, "caller", "watches", "this caller has")
        }
        Exceeded::StreamsPerCaller => (
            streams.per_caller,
            "connection",
            "watches",
            "this connection has",
        ),
        Exceeded::Streams => (streams.total, "service", "watches", "the service has"),
    };
    let field = (counted == "caller").then_some("authorization");
    let then = if exceeded == Exceeded::Streams {
        "try again later"
    } else {
        "wait until one ends"
    };
    let limit = bound.max.to_string();
    let said = format!(
        "{whose} {limit} {what} open, the most {} allows; {then}",
        bound.flag
    );
    let message = match field {
        Some(field) => format!("{field}: {said}"),
        None => said,
    };
    let mut metadata = HashMap::from([("limit".to_owned(), limit)]);
    if let Some(field) = field {
        metadata.insert("field".to_owned(), field.to_owned());
    }
    let mut details = ErrorDetails::with_error_info(exceeded.reason(), domain, metadata);
    details.add_quota_failure_violation(counted, format!("at most {} {what} open", bound.max));
    Status::with_error_details(Code::ResourceExhausted, message, details)
}

/// The answer to a unary call that ran out of `limits.unary_timeout`: DEADLINE_EXCEEDED
/// with a `google.rpc.ErrorInfo` (reason `REQUEST_TIMEOUT`, metadata `limit`).
pub fn timed_out(limits: &Limits, domain: &str) -> Status {
    let limit = jiff::SignedDuration::try_from(limits.unary_timeout)
        .map(|d| format!("{d:#}"))
        .unwrap_or_else(|_| format!("{:?}", limits.unary_timeout));
    let message = format!(
        "the call was not answered within {limit}, the most {} allows; it was abandoned",
        limits.unary_timeout_flag
    );
    let metadata = HashMap::from([("limit".to_owned(), limit)]);
    let details = ErrorDetails::with_error_info("REQUEST_TIMEOUT", domain, metadata);
    Status::with_error_details(Code::DeadlineExceeded, message, details)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        let flags = LimitFlags {
            max_calls_per_connection: 2,
            max_calls_per_caller: 3,
            request_timeout: Duration::from_millis(1500),
        };
        flags.limits().with_streams(StreamLimits {
            per_caller: Bound::new(1, "--max-watches-per-caller"),
            total: Bound::new(2, "--max-watches"),
        })
    }

    fn caller(name: &str) -> Holder {
        Holder::Caller(CallerKey(Arc::from(name)))
    }

    #[test]
    fn places_are_given_back_when_dropped() {
        let tally = Arc::new(Tally::default());
        let limits = limits();
        let a: SocketAddr = "127.0.0.1:4001".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:4002".parse().unwrap();
        let first = tally.call_on(a, &limits).expect("a first call");
        let second = tally.call_on(a, &limits).expect("a second call");
        assert!(
            tally.call_on(a, &limits).is_none(),
            "a third on one connection"
        );
        let other = tally
            .call_on(b, &limits)
            .expect("another connection is served");
        drop(first);
        let again = tally.call_on(a, &limits).expect("a place was given back");
        drop((second, other, again));
        assert_eq!(tally.taken(), 0);
    }

    #[test]
    fn callers_and_their_streams_are_counted_apart() {
        let tally = Arc::new(Tally::default());
        let limits = limits();
        let (sara, omid) = (caller("sara"), caller("omid"));
        let calls: Vec<_> = (0..3)
            .map(|_| {
                tally
                    .call_of(Some(&sara), false, &limits)
                    .expect("within the limit")
            })
            .collect();
        let refused = tally.call_of(Some(&sara), false, &limits).err();
        assert_eq!(refused, Some(Exceeded::CallsPerCaller));
        let watch = tally
            .call_of(Some(&omid), true, &limits)
            .expect("omid's watch");
        let refused = tally.call_of(Some(&omid), true, &limits).err();
        assert_eq!(refused, Some(Exceeded::StreamsPerCaller));
        drop(calls);
        let sara_watches = tally
            .call_of(Some(&sara), true, &limits)
            .expect("sara's watch");
        let anonymous = Holder::Connection("127.0.0.1:4003".parse().unwrap());
        let refused = tally.call_of(Some(&anonymous), true, &limits).err();
        assert_eq!(refused, Some(Exceeded::Streams), "two watches in all");
        // A refused call holds nothing.
        assert_eq!(tally.taken(), 6);
        drop((watch, sara_watches));
        assert_eq!(tally.taken(), 0);
        assert!(tally.call_of(Some(&anonymous), true, &limits).is_ok());
    }

    #[test]
    fn a_refusal_names_its_bound() {
        let limits = limits();
        let status = refusal(
            Exceeded::CallsPerCaller,
            Some(&caller("sara")),
            &limits,
            "saman.test",
        );
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(
            status.message().starts_with("authorization: "),
            "{}",
            status.message()
        );
        assert!(
            status.message().contains("--max-calls-per-caller"),
            "{}",
            status.message()
        );
        let info = status.get_details_error_info().expect("an ErrorInfo");
        assert_eq!(info.reason, "TOO_MANY_CALLS_PER_CALLER");
        assert_eq!(info.metadata["limit"], "3");
        assert_eq!(info.metadata["field"], "authorization");
        let quota = status.get_details_quota_failure().expect("a QuotaFailure");
        assert_eq!(quota.violations[0].subject, "caller");

        let status = refusal(Exceeded::CallsPerConnection, None, &limits, "saman.test");
        let info = status.get_details_error_info().expect("an ErrorInfo");
        assert_eq!(info.reason, "TOO_MANY_CALLS_PER_CONNECTION");
        assert_eq!(info.metadata["limit"], "2");
        assert!(!info.metadata.contains_key("field"));

        let status = timed_out(&limits, "saman.test");
        assert_eq!(status.code(), Code::DeadlineExceeded);
        let info = status.get_details_error_info().expect("an ErrorInfo");
        assert_eq!(info.reason, "REQUEST_TIMEOUT");
        assert_eq!(info.metadata["limit"], "1s 500ms");
    }

    #[test]
    fn a_timeout_of_nothing_is_refused() {
        assert!(positive_duration("0s").is_err());
        assert_eq!(positive_duration("2s"), Ok(Duration::from_secs(2)));
    }
}
