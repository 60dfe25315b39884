//! Keys from a real HTTPS issuer (the harness's: an OpenID discovery document and a
//! JWKS behind a certificate of a throwaway authority): found through discovery,
//! trusted only with the right authority, and rotated without a restart.

use std::time::Duration;

use saman_auth::dev::AUDIENCE;
use saman_auth::keys::{KeyConfig, KeySource, Keys};
use saman_auth::verify::{Expect, Verifier};
use saman_auth::{ClaimNames, Reason};
use saman_harness::TestIssuer;

fn verifier(issuer: &TestIssuer, ca: &std::path::Path) -> Verifier {
    let http = saman_runtime::tls::http_client(Some(ca)).expect("an HTTP client");
    let keys = Keys::new(
        KeySource::Discovery {
            issuer: issuer.url().to_owned(),
            http,
        },
        KeyConfig {
            min_refresh: Duration::ZERO,
            max_age: Duration::from_secs(3600),
        },
    );
    Verifier::new(
        Expect {
            issuer: issuer.url().to_owned(),
            audience: AUDIENCE.into(),
            leeway: Duration::from_secs(30),
            claims: ClaimNames::default(),
        },
        keys,
    )
}

#[tokio::test]
async fn keys_come_from_discovery_and_rotate_without_a_restart() -> anyhow::Result<()> {
    let mut issuer = TestIssuer::start().await?;
    let verifier = verifier(&issuer, &issuer.ca_file());
    let first = issuer.token("supervisor:reza");
    let principal = verifier.verify(&first).await.expect("the first key");
    assert_eq!(principal.actors[0].to_string(), "county supervisor (reza)");

    issuer.rotate(true)?;
    let second = issuer.token("supervisor:reza");
    verifier
        .verify(&second)
        .await
        .expect("the rotated key, fetched on its unknown kid");
    let err = verifier.verify(&first).await.expect_err("the retired key");
    assert_eq!(err.reason, Reason::UnknownKey, "{}", err.message);
    Ok(())
}

#[tokio::test]
async fn an_issuer_behind_an_untrusted_certificate_gives_no_keys() -> anyhow::Result<()> {
    let issuer = TestIssuer::start().await?;
    let other = TestIssuer::start().await?;
    // The other issuer's authority did not sign this issuer's certificate.
    let verifier = verifier(&issuer, &other.ca_file());
    let err = verifier
        .verify(&issuer.token("office:sara"))
        .await
        .expect_err("untrusted");
    assert_eq!(err.reason, Reason::KeysUnavailable, "{}", err.message);
    assert!(
        err.message.contains("certificate"),
        "says why: {}",
        err.message
    );
    assert_eq!(err.to_status("saman.test").code(), tonic::Code::Unavailable);
    Ok(())
}
