//! One AdmissionReview in, one out: no network, no clock, no globals, so
//! that everything the webhook decides is tested without a server.

use crate::admission::{self, Decision, Modes, Outcome};
use crate::{Engine, Policy};
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use kube::core::{DynamicObject, TypeMeta};

/// How requests are answered, besides the policy.
#[derive(Debug, Clone)]
pub struct Rules {
    pub modes: Modes,
    /// Requests in these namespaces are allowed without a look (the
    /// cluster's own machinery, the webhook itself).
    pub excluded_namespaces: Vec<String>,
    /// Deny an UPDATE for findings the object already had. Off by default:
    /// a workload admitted before the policy can still be scaled.
    pub deny_existing_violations: bool,
}

/// The policy a request is judged against; swapped whole on reload.
pub struct Judge {
    pub policy: Policy,
    pub profile: Option<String>,
}

impl Judge {
    /// Checks that the profile exists, so a bad reload is refused up front.
    pub fn new(policy: Policy, profile: Option<String>) -> Result<Self, crate::UnknownProfile> {
        Engine::new(&policy, profile.as_deref())?;
        Ok(Self { policy, profile })
    }

    fn engine(&self, today: &str) -> Engine<'_> {
        Engine::new(&self.policy, self.profile.as_deref())
            .expect("profile checked when the judge was made")
            .with_today(today)
    }
}

/// A body that is not an AdmissionReview souverain can answer: the server
/// answers 400 with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

/// What the server sends back and what it logs and counts.
#[derive(Debug)]
pub struct Reviewed {
    pub response: AdmissionReview<DynamicObject>,
    pub uid: String,
    pub operation: &'static str,
    /// `Kind/namespace/name` of the object under review.
    pub object: String,
    pub dry_run: bool,
    pub verdict: Verdict,
    /// The findings and what became of each (empty when not evaluated).
    pub outcomes: Vec<(&'static str, Outcome)>,
    /// The denial, or the warnings: what the client is told.
    pub said: Vec<String>,
}

/// What happened to a request, as logged and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Allowed,
    Denied,
    /// In an excluded namespace: allowed unread.
    Excluded,
    /// A DELETE or CONNECT, or no object: nothing is deployed.
    NotApplicable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Excluded => "excluded",
            Verdict::NotApplicable => "not_applicable",
        }
    }
}

const VERSIONS: [&str; 2] = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"];

/// Answers one AdmissionReview. `today` (`YYYY-MM-DD`) is for waiver expiry.
pub fn review(
    body: &[u8],
    judge: &Judge,
    rules: &Rules,
    today: &str,
) -> Result<Reviewed, Malformed> {
    let review: AdmissionReview<DynamicObject> = serde_json::from_slice(body).map_err(|e| {
        // Something else than a review, or a review of another version, is
        // better said so than by the first field it lacks.
        match serde_json::from_slice::<TypeMeta>(body) {
            Ok(types) if !is_review(&types) => wrong_type(&types),
            _ => Malformed(format!("the body is not an AdmissionReview: {e}")),
        }
    })?;
    if !is_review(&review.types) {
        return Err(wrong_type(&review.types));
    }
    let request: AdmissionRequest<DynamicObject> = review
        .try_into()
        .map_err(|_| Malformed("the AdmissionReview has no `request`".into()))?;
    let object = object_name(&request);
    let excluded = request
        .namespace
        .as_ref()
        .is_some_and(|ns| rules.excluded_namespaces.contains(ns));
    let (verdict, decision) = match (&request.operation, &request.object) {
        (Operation::Delete | Operation::Connect, _) | (_, None) => (Verdict::NotApplicable, None),
        _ if excluded => (Verdict::Excluded, None),
        (_, Some(new)) => {
            let engine = judge.engine(today);
            let scan = |o: &DynamicObject| {
                engine.scan_object(&object, serde_json::to_value(o).unwrap_or_default())
            };
            let report = scan(new);
            let old = match (&request.operation, &request.old_object) {
                (Operation::Update, Some(old)) if !rules.deny_existing_violations => {
                    Some(scan(old))
                }
                _ => None,
            };
            let decision = admission::decide_update(&report, old.as_ref(), &rules.modes);
            let verdict = if decision.allowed {
                Verdict::Allowed
            } else {
                Verdict::Denied
            };
            (verdict, Some(decision))
        }
    };
    let mut response = AdmissionResponse::from(&request);
    let (outcomes, said) = match decision {
        Some(decision) => {
            response = respond(response, &decision);
            let said = decision
                .message
                .into_iter()
                .chain(decision.warnings)
                .collect();
            (decision.outcomes, said)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Reviewed {
        response: response.into_review(),
        operation: operation_name(&request.operation),
        dry_run: request.dry_run,
        uid: request.uid,
        object,
        verdict,
        outcomes,
        said,
    })
}

fn is_review(types: &TypeMeta) -> bool {
    types.kind == "AdmissionReview" && VERSIONS.contains(&types.api_version.as_str())
}

fn wrong_type(types: &TypeMeta) -> Malformed {
    Malformed(format!(
        "expected kind AdmissionReview of apiVersion admission.k8s.io/v1, got kind `{}` of apiVersion `{}`",
        types.kind, types.api_version
    ))
}

fn respond(response: AdmissionResponse, decision: &Decision) -> AdmissionResponse {
    let mut response = match &decision.message {
        Some(message) => {
            let mut denied = response.deny(message);
            // The API server turns this into the client's error: 403, as
            // for any request a policy forbids.
            denied.result.code = 403;
            denied.result.reason = "Forbidden".into();
            denied
        }
        None => response,
    };
    if !decision.warnings.is_empty() {
        response.warnings = Some(decision.warnings.clone());
    }
    response
}

fn operation_name(operation: &Operation) -> &'static str {
    match operation {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

fn object_name(request: &AdmissionRequest<DynamicObject>) -> String {
    // A CREATE of a `generateName` object has no name yet.
    let metadata = request.object.as_ref().map(|o| &o.metadata);
    let name = Some(request.name.as_str())
        .filter(|n| !n.is_empty())
        .or_else(|| metadata.and_then(|m| m.name.as_deref()))
        .or_else(|| metadata.and_then(|m| m.generate_name.as_deref()))
        .unwrap_or("(unnamed)");
    match &request.namespace {
        Some(namespace) => format!("{}/{namespace}/{name}", request.kind.kind),
        None => format!("{}/{name}", request.kind.kind),
    }
}
