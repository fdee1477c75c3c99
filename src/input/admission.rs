//! A Kubernetes AdmissionReview (`admission.k8s.io/v1`, or v1beta1): the
//! object under review goes through the manifest reader. A DELETE, or a
//! request without an object, deploys nothing. A bare AdmissionRequest (the
//! `request` alone, as policy test suites store them) is read too.

use super::{InputError, Note, k8s};
use crate::limits::Limits;
use crate::model::Resource;
use crate::policy::KubernetesMap;
use crate::yaml;
use serde_json::Value;

pub fn parse(
    text: &str,
    source: usize,
    map: &KubernetesMap,
    limits: &Limits,
) -> Result<(Vec<Resource>, Vec<Note>), InputError> {
    let document =
        yaml::parse_within(text, limits).map_err(|e| k8s::yaml_error(e, text, source))?;
    let root = &document.value;
    let (request, pointer) = if root.get("kind").and_then(Value::as_str) == Some("AdmissionReview")
    {
        let version = root
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !matches!(version, "admission.k8s.io/v1" | "admission.k8s.io/v1beta1") {
            return Err(InputError::NotAPlan(format!(
                "AdmissionReview of apiVersion `{version}`: expected admission.k8s.io/v1"
            )));
        }
        let request = root
            .get("request")
            .ok_or_else(|| InputError::NotAPlan("AdmissionReview without a `request`".into()))?;
        (request, "/request")
    } else {
        (root, "")
    };
    let operation = request
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or("CREATE");
    let object = request.get("object").filter(|o| !o.is_null());
    match (operation, object) {
        ("DELETE", _) | (_, None) => Ok((
            Vec::new(),
            vec![Note {
                message: format!("{operation} request without an object: nothing is deployed"),
                span: None,
            }],
        )),
        (_, Some(_)) => {
            let resource =
                k8s::object_at(&document, &format!("{pointer}/object"), text, source, map);
            Ok((resource.into_iter().collect(), Vec::new()))
        }
    }
}

/// The resource of an object under review that the caller has already
/// parsed (the webhook reads the AdmissionReview itself). It has no file, so
/// its findings have no line.
pub fn object(object: Value, map: &KubernetesMap) -> Option<Resource> {
    k8s::object_at(&yaml::LocatedJson::unlocated(object), "", "", 0, map)
}

/// Whether a JSON document is an AdmissionReview or a bare request.
pub fn looks_like(value: &PeekKeys) -> bool {
    value.kind.as_ref().and_then(Value::as_str) == Some("AdmissionReview")
        || (value.uid.is_some() && value.operation.is_some())
}

/// The top-level keys that tell Kubernetes JSON from a plan.
#[derive(serde::Deserialize, Default)]
pub struct PeekKeys {
    #[serde(rename = "apiVersion")]
    pub api_version: Option<serde::de::IgnoredAny>,
    /// A string in objects; an object `{group, version, kind}` in requests.
    pub kind: Option<Value>,
    pub uid: Option<serde::de::IgnoredAny>,
    pub operation: Option<serde::de::IgnoredAny>,
}
