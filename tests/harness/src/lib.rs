//! Test harness for Saman: fresh SQLite and PostgreSQL databases ([`TestDb`], in
//! `db.rs`), a private `nats-server` with JetStream ([`NatsServer`], in `nats.rs`; its
//! users' NKeys and `.creds` files from `nats_jwt.rs`), a
//! token issuer over HTTPS ([`TestIssuer`], in `issuer.rs`), throwaway certificates
//! ([`TestTls`], in `tls.rs`), an event signing key ([`TestEventKeys`], in
//! `event_keys.rs`), a real OpenID provider ([`OidcProvider`], in `oidc.rs`: npm's
//! oidc-provider under Node.js), and
//! [`on_both_backends!`], which runs a test once on each backend.
//!
//! Nothing here skips silently: a missing `DATABASE_URL` or a missing `nats-server`
//! binary is an error that says how to fix it (run `scripts/test`, which installs and
//! starts what the tests need).

use std::fmt;
use std::net::TcpListener;

mod db;
mod event_keys;
mod issuer;
mod nats;
mod nats_jwt;
mod oidc;
mod tls;

pub use db::TestDb;
pub use event_keys::TestEventKeys;
pub use issuer::TestIssuer;
pub use nats::{NatsLogin, NatsServer, NatsUser};
pub use oidc::{ACCOUNTS, CLIENT_ID, OidcOptions, OidcProvider, User};
pub use tls::{TEST_CLIENT_NAME, TestTls};

/// The SQL engines the event store and read models run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Both backends, for tests that run against each.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// Runs async test bodies `async fn(Backend) -> anyhow::Result<()>` once per backend:
/// each becomes the tests `sqlite::<name>` and `postgres::<name>` (a multi-thread tokio
/// runtime with 2 workers). The PostgreSQL ones need `DATABASE_URL` (as `scripts/test`
/// provides); without a reachable server they fail with the harness's error, they are
/// never skipped.
///
/// ```ignore
/// on_both_backends! {
///     a_test_named_after_its_body,                    // the test is the body's name
///     a_test_with_its_own_name => the_body_it_runs;   // or a name of its own
/// }
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident $(=> $body:ident)?),+ $(,)?) => {
        $crate::on_both_backends!(@in sqlite, Sqlite, $($name $(=> $body)?),+);
        $crate::on_both_backends!(@in postgres, Postgres, $($name $(=> $body)?),+);
    };
    ($($name:ident => $body:ident;)+) => {
        $crate::on_both_backends!($($name => $body),+);
    };
    (@in $module:ident, $backend:ident, $($name:ident $(=> $body:ident)?),+) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    let body = $crate::on_both_backends!(@body $name $(=> $body)?);
                    body($crate::Backend::$backend).await
                }
            )+
        }
    };
    (@body $name:ident) => { super::$name };
    (@body $name:ident => $body:ident) => { super::$body };
}

/// A free TCP port on 127.0.0.1 (bind port 0, read the port, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0 to find a free port")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_display() {
        assert_eq!(Backend::Sqlite.to_string(), "sqlite");
        assert_eq!(Backend::Postgres.to_string(), "postgres");
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).expect("port is free");
    }
}
