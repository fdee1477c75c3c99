//! souverain as a [Kubewarden](https://www.kubewarden.io) policy: a waPC
//! module for `wasm32-wasip1` that Kubewarden's policy-server (or `kwctl`)
//! runs on every admission request it routes here. A thin wrapper with no
//! logic of its own: the object goes through [`souverain::Engine`] as a bare
//! AdmissionRequest and the answer is [`souverain::admission::decide`]'s, the
//! same as `souverain serve` gives.
//!
//! # waPC functions
//! - `validate`: `{"settings": Settings, "request": AdmissionRequest}` →
//!   Kubewarden's `ValidationResponse` (accepted, message, warnings).
//! - `validate_settings`: [`Settings`] → `{"valid": bool, "message": ...}`;
//!   an unknown profile or an invalid policy is refused with every problem.
//! - `protocol_version`: Kubewarden's protocol `v1`.

use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::Validatable;
use kubewarden_policy_sdk::wapc_guest::{self as guest, CallResult};
use kubewarden_policy_sdk::{protocol_version_guest, validate_settings};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use souverain::admission::{self, Mode};
use souverain::{Engine, Policy};
use std::borrow::Cow;

/// Registers the waPC functions; policy-server calls this once per instance.
#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    guest::register_function("validate", validate);
    guest::register_function("validate_settings", validate_settings::<Settings>);
    guest::register_function("protocol_version", protocol_version_guest);
}

/// The policy's settings, from the `settings` of a (Cluster)AdmissionPolicy.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// A profile of the policy: `strict` (the default), `france`, `eea`, or
    /// one that `policy` adds.
    pub profile: Option<String>,
    /// Entries extending the embedded policy, in the layout of
    /// `policies/*.yaml` (docs/policy.md): a mapping, or the same as a YAML
    /// string (then problems are reported with its line numbers).
    pub policy: Option<Value>,
    /// `enforce` (deny, the default), `warn` (allow with warnings) or
    /// `audit` (allow; Kubewarden's own `mode: monitor` also logs).
    pub mode: Mode,
}

impl Settings {
    /// Runs `scan` with the engine these settings describe, or says why
    /// there is none.
    fn with_engine<T>(&self, scan: impl FnOnce(&Engine) -> T) -> Result<T, String> {
        let extension = match &self.policy {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(Cow::Borrowed(text.as_str())),
            Some(entries @ Value::Object(_)) => Some(Cow::Owned(
                serde_json::to_string_pretty(entries).map_err(|e| e.to_string())?,
            )),
            Some(_) => {
                return Err(
                    "`policy` must be a mapping of policy entries, or a string of policy YAML"
                        .into(),
                );
            }
        };
        let policy = Policy::shared_extended(extension.as_deref().map(|text| ("policy", text)))
            .map_err(|error| {
                std::iter::once(error.to_string())
                    .chain(error.issues.iter().map(|issue| format!("- {issue}")))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        let mut engine =
            Engine::new(&policy, self.profile.as_deref()).map_err(|e| e.to_string())?;
        if let Some(today) = today() {
            engine = engine.with_today(&today);
        }
        Ok(scan(&engine))
    }
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        self.with_engine(|_| ())
    }
}

/// What policy-server sends to `validate`. The request stays raw so that the
/// engine reads it with positions, as it reads an AdmissionReview file.
#[derive(Deserialize)]
struct ValidationRequest<'a> {
    #[serde(default)]
    settings: Settings,
    #[serde(borrow)]
    request: &'a RawValue,
}

fn validate(payload: &[u8]) -> CallResult {
    let ValidationRequest { settings, request } = serde_json::from_slice(payload)?;
    let decision = settings.with_engine(|engine| {
        let report = engine.scan("request.json", request.get().as_bytes());
        admission::decide(&report, &settings.mode.into())
    });
    let response = match decision {
        Ok(decision) => ValidationResponse {
            accepted: decision.allowed,
            message: decision.message,
            code: None,
            mutated_object: None,
            audit_annotations: None,
            warnings: (!decision.warnings.is_empty()).then_some(decision.warnings),
        },
        // policy-server validates settings before serving, so this is a
        // settings change it has not seen: refuse rather than guess.
        Err(problem) => ValidationResponse {
            accepted: false,
            message: Some(format!("souverain settings are invalid: {problem}")),
            code: None,
            mutated_object: None,
            audit_annotations: None,
            warnings: None,
        },
    };
    Ok(serde_json::to_vec(&response)?)
}

/// Today's date for waiver expiry, from the WASI clock policy-server gives.
fn today() -> Option<String> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(souverain::civil_date(seconds / 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: &str) -> Settings {
        serde_json::from_str(json).expect("settings")
    }

    #[test]
    fn empty_settings_are_the_strict_profile_enforced() {
        let settings = settings("{}");
        assert_eq!(settings.mode, Mode::Enforce);
        assert_eq!(
            settings.with_engine(|e| e.profile_name().to_string()),
            Ok("strict".into())
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = serde_json::from_str::<Settings>(r#"{"profil": "eea"}"#).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `profil`"),
            "{error}"
        );
    }

    #[test]
    fn a_policy_may_be_a_mapping_or_yaml_text() {
        let profile = "lenient:\n  description: d\n  allowed_countries: [FR]\n  families: [region]\n  undetermined: warn\n";
        let as_text = settings(
            &serde_json::json!({"profile": "lenient", "policy": format!("profiles:\n  {}", profile.replace('\n', "\n  "))})
                .to_string(),
        );
        let as_mapping = settings(
            r#"{"profile": "lenient", "policy": {"profiles": {"lenient": {"description": "d",
                "allowed_countries": ["FR"], "families": ["region"], "undetermined": "warn"}}}}"#,
        );
        for settings in [as_text, as_mapping] {
            assert_eq!(
                settings.with_engine(|e| e.profile_name().to_string()),
                Ok("lenient".into())
            );
        }
        let number = settings(r#"{"policy": 3}"#);
        assert!(
            number
                .validate()
                .unwrap_err()
                .contains("`policy` must be a mapping")
        );
    }

    #[test]
    fn a_bad_policy_is_refused_with_each_problem() {
        let error = settings(r#"{"policy": "profiles:\n  x:\n    families: [weather]\n"}"#)
            .validate()
            .unwrap_err();
        assert!(error.contains("\n- policy:3:"), "{error}");
    }

    /// metadata.yml routes every built-in kind souverain reads, on create and
    /// update, to a validating, non-mutating waPC policy.
    #[test]
    fn metadata_routes_every_kind_souverain_reads() {
        let metadata = souverain::yaml::parse(include_str!("../metadata.yml"))
            .expect("metadata.yml is YAML")
            .value;
        assert_eq!(metadata["mutating"], false);
        assert_eq!(metadata["contextAware"], false);
        assert_eq!(metadata["executionMode"], "kubewarden-wapc");
        let rules = metadata["rules"].as_array().expect("rules");
        for (group, _, plural) in souverain::input::k8s::BUILT_IN_KINDS {
            let routed = rules.iter().any(|rule| {
                let has = |key: &str, value: &str| {
                    rule[key]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|v| v == value))
                };
                has("apiGroups", group)
                    && has("resources", plural)
                    && has("operations", "CREATE")
                    && has("operations", "UPDATE")
            });
            assert!(routed, "{group}/{plural} is not routed to the policy");
        }
    }

    /// The ClusterAdmissionPolicy of deploy/kubewarden has settings the
    /// policy accepts.
    #[test]
    fn the_example_cluster_admission_policy_has_valid_settings() {
        let manifest = souverain::yaml::parse(include_str!(
            "../../../deploy/kubewarden/cluster-admission-policy.yaml"
        ))
        .expect("YAML")
        .value;
        assert_eq!(manifest["kind"], "ClusterAdmissionPolicy");
        let settings: Settings =
            serde_json::from_value(manifest["spec"]["settings"].clone()).expect("settings");
        assert!(settings.policy.is_some());
        assert_eq!(settings.validate(), Ok(()));
    }
}
