//! Prometheus metrics of the webhook (docs/webhook.md#metrics). Label values
//! come from closed sets (operations, verdicts, rule ids, outcomes, routes,
//! status codes), so no request can grow the number of series.

use super::review::Reviewed;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReviewLabels {
    operation: &'static str,
    verdict: &'static str,
    dry_run: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    rule: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResponseLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    what: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WhatLabels {
    what: &'static str,
}

/// Something the webhook reloads from disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloadable {
    Policy,
    Certificate,
}

impl Reloadable {
    pub fn as_str(self) -> &'static str {
        match self {
            Reloadable::Policy => "policy",
            Reloadable::Certificate => "certificate",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    reviews: Family<ReviewLabels, Counter>,
    findings: Family<FindingLabels, Counter>,
    duration: Histogram,
    in_flight: Gauge,
    responses: Family<ResponseLabels, Counter>,
    reloads: Family<ReloadLabels, Counter>,
    last_reload_successful: Family<WhatLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("souverain");
        let reviews = Family::<ReviewLabels, Counter>::default();
        registry.register(
            "admission_reviews",
            "AdmissionReviews answered, by operation, verdict and dry run",
            reviews.clone(),
        );
        let findings = Family::<FindingLabels, Counter>::default();
        registry.register(
            "admission_findings",
            "Findings on objects under review, by rule and what became of them (denied, warned, audited, existing, tolerated, waived)",
            findings.clone(),
        );
        // 50 µs to 3.3 s: a review takes about a hundred microseconds, the
        // API server gives up after timeoutSeconds.
        let duration = Histogram::new(exponential_buckets(0.000_05, 2.0, 17));
        registry.register_with_unit(
            "admission_review_duration",
            "Time from the request's headers to its answer, for POST /validate",
            Unit::Seconds,
            duration.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "admission_reviews_in_flight",
            "AdmissionReviews being read or answered",
            in_flight.clone(),
        );
        let responses = Family::<ResponseLabels, Counter>::default();
        registry.register(
            "http_responses",
            "HTTP responses by route and status code (400: malformed review, 413: body too large, 408: body too slow)",
            responses.clone(),
        );
        let reloads = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "reloads",
            "Reloads of the policy file and of the certificate, by outcome; a failed reload keeps the last good one",
            reloads.clone(),
        );
        let last_reload_successful = Family::<WhatLabels, Gauge>::default();
        registry.register(
            "last_reload_successful",
            "1 when the last reload of the policy or certificate succeeded, 0 while the last good one is kept",
            last_reload_successful.clone(),
        );
        for what in [Reloadable::Policy, Reloadable::Certificate] {
            last_reload_successful
                .get_or_create(&WhatLabels {
                    what: what.as_str(),
                })
                .set(1);
        }
        Self {
            registry,
            reviews,
            findings,
            duration,
            in_flight,
            responses,
            reloads,
            last_reload_successful,
        }
    }

    pub fn reviewed(&self, reviewed: &Reviewed) {
        self.reviews
            .get_or_create(&ReviewLabels {
                operation: reviewed.operation,
                verdict: reviewed.verdict.as_str(),
                dry_run: reviewed.dry_run,
            })
            .inc();
        for (rule, outcome) in &reviewed.outcomes {
            self.findings
                .get_or_create(&FindingLabels {
                    rule,
                    outcome: outcome.as_str(),
                })
                .inc();
        }
    }

    pub fn review_took(&self, elapsed: Duration) {
        self.duration.observe(elapsed.as_secs_f64());
    }

    /// Counts a review in flight until the guard drops.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    pub fn responded(&self, route: &'static str, status: u16) {
        self.responses
            .get_or_create(&ResponseLabels { route, status })
            .inc();
    }

    pub fn reloaded(&self, what: Reloadable, ok: bool) {
        let outcome = if ok { "success" } else { "failure" };
        self.reloads
            .get_or_create(&ReloadLabels {
                what: what.as_str(),
                outcome,
            })
            .inc();
        self.last_reload_successful
            .get_or_create(&WhatLabels {
                what: what.as_str(),
            })
            .set(i64::from(ok));
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_named_in_the_prometheus_style() {
        let metrics = Metrics::new();
        metrics.review_took(Duration::from_micros(120));
        metrics.responded("validate", 413);
        metrics.reloaded(Reloadable::Policy, false);
        let text = metrics.render();
        for expected in [
            "# TYPE souverain_admission_review_duration_seconds histogram",
            "souverain_admission_review_duration_seconds_bucket{le=\"0.0002\"} 1",
            "souverain_admission_review_duration_seconds_count 1",
            "souverain_http_responses_total{route=\"validate\",status=\"413\"} 1",
            "souverain_reloads_total{what=\"policy\",outcome=\"failure\"} 1",
            "souverain_last_reload_successful{what=\"policy\"} 0",
            "souverain_last_reload_successful{what=\"certificate\"} 1",
            "souverain_admission_reviews_in_flight 0",
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
    }
}
