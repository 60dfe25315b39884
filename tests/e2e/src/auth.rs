//! Tokens for the tests: one token issuer per test process (the harness's, over HTTPS,
//! on a thread of its own so that it outlives each test's runtime), the flags that make
//! the services trust it, and clients that log in as whoever their requests act as.
//!
//! The services verify every token for real (signature, issuer, audience, times, roles).
//! The convenience is only on the client side: [`TokenPerActor`] reads the actor a write
//! names and sends a token of that identity with it, as a real client sends its user's
//! token with the user's requests; a write that names no actor goes without a token.
//! Tests of authentication itself send their own tokens ([`Tokens`]).

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use bytes::{Buf as _, Bytes};
use http_body_util::BodyExt as _;
use prost::Message as _;
use saman_auth::AuthArgs;
use saman_auth::dev::Identity;
use saman_harness::TestIssuer;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1::Submission;
use tonic::body::Body;
use tonic::transport::Channel;

/// The token issuer of this test process.
pub fn issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("test-issuer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the test issuer");
                runtime.block_on(async move {
                    let issuer = TestIssuer::start().await.expect("the test issuer starts");
                    tx.send(issuer).expect("the test issuer is handed over");
                    std::future::pending::<()>().await;
                });
            })
            .expect("the test issuer's thread");
        rx.recv().expect("the test issuer started")
    })
}

/// The authentication flags of a service that trusts [`issuer`].
pub fn auth_args() -> AuthArgs {
    issuer().auth_args()
}

/// The identity (`member:ngo-01/m-001`) of an actor, as tokens are minted for it.
pub fn identity_of(actor: &events::Actor) -> Option<String> {
    use events::actor::Kind;
    Some(match actor.kind.as_ref()? {
        Kind::ProgrammeOffice(o) => format!("office:{}", o.user),
        Kind::CountySupervisor(o) => format!("supervisor:{}", o.user),
        Kind::NgoMember(m) => format!("member:{}/{}", m.ngo, m.member),
        Kind::AgencyOfficer(o) => format!("officer:{}/{}", o.agency, o.user),
    })
}

/// Minting tokens from the process's issuer.
pub struct Tokens;

impl Tokens {
    /// A token of `identity` (`office:sara`, `operator:ops`, ...).
    pub fn of(identity: &str) -> String {
        issuer().token(identity)
    }

    /// The `authorization` header (or metadata) value for `identity`.
    pub fn bearer(identity: &str) -> http::HeaderValue {
        http::HeaderValue::from_str(&format!("Bearer {}", Self::of(identity)))
            .expect("a token is ASCII")
    }
}

/// Who the tests' projection calls are made as: the operator may read and administer.
pub const OPERATOR: &str = "operator:ops";

/// `message` as a request of the caller `identity` (`member:ngo-01/m-002`), whatever
/// actor it names.
pub fn as_caller<T>(identity: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {}", Tokens::of(identity))
        .parse()
        .expect("a token is ASCII");
    request.metadata_mut().insert("authorization", value);
    request
}

/// A gRPC channel that sends each write with a token of the actor it names, and each
/// projection call with an operator's.
pub type AuthChannel = TokenPerActor<Channel>;

/// The service of [`AuthChannel`]: for a write, reads the submission's actor in the
/// request's first message and adds `authorization: Bearer <token of that actor>`; for
/// a projection call, an operator's token; unless the request carries an
/// `authorization` of its own. Other requests (health, reflection) pass as they are.
#[derive(Clone)]
pub struct TokenPerActor<S> {
    inner: S,
}

impl<S> TokenPerActor<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

/// The identity as a token carries it (its names as the service reads them: trimmed,
/// NFC), or `None` when no token can (a control character, a name too long).
fn carried(identity: &str) -> Option<String> {
    use saman_domain::values::Text;
    let mut identity: Identity = identity.parse().ok()?;
    identity.user = Text::required(&identity.user, Text::SHORT)
        .ok()?
        .as_str()
        .to_owned();
    Some(identity.to_string())
}

/// For a write that names no actor: the tests' usual actor of the first role the RPC
/// admits (so that what the request lacks is what the service says).
fn default_identity(path: &str) -> Option<String> {
    use saman_auth::Role;
    use saman_auth::policy::{Who, rule_of};
    let Who::Roles(roles) = rule_of(path)?.who else {
        return None;
    };
    let actor = match roles.first()? {
        Role::ProgrammeOffice => crate::office(),
        Role::CountySupervisor => crate::supervisor(),
        Role::NgoMember => crate::member("ngo-01", "m-001"),
        Role::AgencyOfficer => crate::officer("water"),
        Role::Operator => return Some(OPERATOR.to_owned()),
    };
    identity_of(&actor)
}

/// Every write request holds its `Submission` as field 1; only that is decoded.
#[derive(Clone, PartialEq, prost::Message)]
struct WriteRequest {
    #[prost(message, optional, tag = "1")]
    submission: Option<Submission>,
}

/// The actor named by the first message of a gRPC request body (5-byte prefix, then
/// the message), if it is a write.
fn actor_in(body: &Bytes) -> Option<events::Actor> {
    let mut frame = body.clone();
    if frame.remaining() < 5 || frame.get_u8() != 0 {
        return None;
    }
    let len = usize::try_from(frame.get_u32()).ok()?;
    let message = frame.get(..len)?;
    WriteRequest::decode(message).ok()?.submission?.actor
}

impl<S> tower::Service<http::Request<Body>> for TokenPerActor<S>
where
    S: tower::Service<http::Request<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = S::Response;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let path = request.uri().path();
            let is_write = path.starts_with("/saman.intake.v1.Intake/");
            let is_projection = path.starts_with("/saman.projection.v1.");
            if request.headers().contains_key(http::header::AUTHORIZATION)
                || !(is_write || is_projection)
            {
                return inner.call(request).await.map_err(Into::into);
            }
            if is_projection {
                let mut request = request;
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, Tokens::bearer(OPERATOR));
                return inner.call(request).await.map_err(Into::into);
            }
            let (mut parts, body) = request.into_parts();
            let bytes = body.collect().await?.to_bytes();
            // An actor whose names no token could carry (a control character, too
            // long: what the poison tests send) goes with the RPC's usual caller, so
            // that the service judges the actor the request names.
            let identity = actor_in(&bytes)
                .as_ref()
                .and_then(identity_of)
                .and_then(|identity| carried(&identity))
                .or_else(|| default_identity(parts.uri.path()));
            if let Some(identity) = identity {
                parts
                    .headers
                    .insert(http::header::AUTHORIZATION, Tokens::bearer(&identity));
            }
            let request =
                http::Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes)));
            inner.call(request).await.map_err(Into::into)
        })
    }
}
