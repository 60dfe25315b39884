//! The gate every call of a service passes before it is handled: the call's rule
//! ([`crate::policy`]), its token verified ([`Verifier`]), its caller's roles checked
//! against the rule. The runtime's RPC layer calls it for every call and hands the
//! [`Principal`] to the service in the request's extensions.

use std::sync::Arc;

use crate::error::{AuthError, FIELD, Reason};
use crate::policy::{self, Who};
use crate::principal::Principal;
use crate::verify::Verifier;

/// How a service admits calls.
#[derive(Clone)]
pub enum Gate {
    /// Every call of the table needs a token that passes ([`Verifier`]), except reads
    /// when `public_reads`.
    Tokens {
        verifier: Arc<Verifier>,
        public_reads: bool,
    },
    /// No authentication at all: only when the operator asked for it by name
    /// (`--insecure-no-auth`); every call is admitted without a caller.
    Open,
}

impl Gate {
    /// Admits the call to `path` with the `authorization` header `header`: the caller
    /// (`None`: a public read, a call outside the table, or an open gate), or why not.
    pub async fn admit(
        &self,
        path: &str,
        header: Option<&[u8]>,
    ) -> Result<Option<Principal>, AuthError> {
        let Gate::Tokens {
            verifier,
            public_reads,
        } = self
        else {
            return Ok(None);
        };
        let Some(rule) = policy::rule_of(path) else {
            return Ok(None);
        };
        if rule.who == Who::Readers && *public_reads {
            return Ok(None);
        }
        let principal = verifier.verify_header(header).await?;
        if !rule.admits(&principal.roles) {
            let held = principal
                .roles
                .iter()
                .map(|r| r.claim_value())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(AuthError::new(
                Reason::RoleNotAdmitted,
                format!(
                    "{FIELD}: {} is for {}; this token's roles are {held}",
                    rule.rpc,
                    rule.who_text()
                ),
            ));
        }
        Ok(Some(principal))
    }
}

impl saman_runtime::rpc::Admit for Gate {
    fn admit(&self, path: &str, headers: &http::HeaderMap) -> saman_runtime::rpc::Admission {
        let gate = self.clone();
        let path = path.to_owned();
        let header = headers
            .get(http::header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        Box::pin(async move {
            let mut extensions = http::Extensions::new();
            if let Some(principal) = gate.admit(&path, header.as_deref()).await? {
                tracing::Span::current().record("principal", principal.subject.as_str());
                extensions.insert(principal);
            }
            Ok(extensions)
        })
    }
}
