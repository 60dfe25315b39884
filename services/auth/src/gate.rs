//! The gate every call of a service passes before it is handled: the call's rule
//! ([`crate::policy`]), its token verified ([`Verifier`]), its caller's roles checked
//! against the rule. The runtime's RPC layer calls it for every call and hands the
//! [`Caller`] to the service in the request's extensions.

use std::sync::Arc;

use crate::caller::Caller;
use crate::error::{AuthError, FIELD, Reason};
use crate::policy::{self, Who};
use crate::verify::Verifier;

/// How a service admits calls.
#[derive(Clone)]
pub enum Gate {
    /// Every call of the table needs a token that passes ([`Verifier`]), except reads
    /// when `public_reads`.
    Tokens {
        verifier: Arc<Verifier>,
        public_reads: bool,
        /// The service's ErrorInfo domain, which its refusals carry.
        domain: &'static str,
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
    ) -> Result<Option<Caller>, AuthError> {
        let Gate::Tokens {
            verifier,
            public_reads,
            ..
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
        let caller = verifier.verify_header(header).await?;
        // A role that may only attest the write is let through: the service refuses
        // the write as below unless it carries an attestation.
        if !rule.lets_through(&caller.roles) {
            return Err(not_admitted(rule, &caller));
        }
        Ok(Some(caller))
    }
}

/// The refusal of a caller whose roles the rule does not admit (PERMISSION_DENIED).
pub fn not_admitted(rule: &policy::Rule, caller: &Caller) -> AuthError {
    let held = policy::listed(&caller.roles);
    // A write's actor is the token's: it is the actor that may not do this.
    let field = if rule.service == policy::INTAKE {
        "submission.actor"
    } else {
        FIELD
    };
    let attest = if rule.attested_by.is_empty() {
        String::new()
    } else {
        format!(
            " (or, attesting its time with submission.attestation, for the {})",
            policy::listed(rule.attested_by)
        )
    };
    AuthError::new(
        Reason::RoleNotAdmitted,
        format!(
            "{} is for the {}{attest}; this token's roles are {held}",
            rule.rpc,
            rule.who_text()
        ),
    )
    .about(field)
}

impl saman_runtime::rpc::Admit for Gate {
    fn admit(&self, path: &str, headers: &http::HeaderMap) -> saman_runtime::rpc::Admission {
        let gate = self.clone();
        let domain = match self {
            Gate::Tokens { domain, .. } => *domain,
            Gate::Open => "",
        };
        let path = path.to_owned();
        let header = headers
            .get(http::header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        Box::pin(async move {
            let mut extensions = http::Extensions::new();
            let admitted = gate.admit(&path, header.as_deref()).await;
            if let Some(caller) = admitted.map_err(|e| e.to_status(domain))? {
                tracing::Span::current().record("principal", caller.principal.subject.as_str());
                // The layer counts each principal's open calls under this key.
                let principal = &caller.principal;
                let key = format!(
                    "{}\n{}",
                    principal.issuer.as_str(),
                    principal.subject.as_str()
                );
                extensions.insert(saman_runtime::limits::CallerKey(key.into()));
                extensions.insert(caller);
            }
            Ok(extensions)
        })
    }
}
