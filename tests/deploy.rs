//! The manifests of deploy/webhook: what a cluster needs for the webhook to
//! be available, safe and reached for every kind souverain reads.

#![cfg(feature = "webhook")]

mod common;

use serde_json::Value;
use souverain::input::k8s::BUILT_IN_KINDS;

/// Every object of deploy/webhook, each with the file it comes from.
fn objects() -> Vec<(String, Value)> {
    let dir = common::root().join("deploy/webhook");
    let mut objects = Vec::new();
    for path in common::files_under(&dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let documents = souverain::yaml::parse_documents(&text)
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message));
        for document in documents {
            assert!(
                document.value["apiVersion"].is_string() && document.value["kind"].is_string(),
                "{}: an object without apiVersion and kind",
                path.display()
            );
            objects.push((path.display().to_string(), document.value));
        }
    }
    objects
}

fn one(kind: &str) -> Value {
    let found: Vec<Value> = objects()
        .into_iter()
        .filter(|(_, o)| o["kind"] == kind)
        .map(|(_, o)| o)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} in deploy/webhook");
    found.into_iter().next().unwrap()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn the_kustomization_lists_every_file() {
    let kustomization = one("Kustomization");
    let mut listed = strings(&kustomization["resources"]);
    listed.sort();
    let mut files: Vec<String> = common::files_under(&common::root().join("deploy/webhook"))
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .filter(|name| name != "kustomization.yaml")
        .collect();
    files.sort();
    assert_eq!(listed, files);
}

#[test]
fn the_deployment_is_available_and_locked_down() {
    let deployment = one("Deployment");
    assert!(deployment["spec"]["replicas"].as_u64().unwrap() >= 2);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["automountServiceAccountToken"], false,
        "the webhook never calls the API"
    );
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(strings(&security["capabilities"]["drop"]), ["ALL"]);
    for bound in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][bound][resource].is_string(),
                "resources.{bound}.{resource}"
            );
        }
    }
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        assert_eq!(container[probe]["httpGet"]["path"], path);
        assert_eq!(container[probe]["httpGet"]["scheme"], "HTTPS");
    }
    let env_names: Vec<&str> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(env_names.contains(&"POD_NAMESPACE"));

    let budget = one("PodDisruptionBudget");
    assert_eq!(
        budget["spec"]["selector"]["matchLabels"],
        deployment["spec"]["selector"]["matchLabels"]
    );
    assert!(budget["spec"]["minAvailable"].as_u64().unwrap() >= 1);
}

/// Every flag the Deployment passes is one `souverain serve` knows.
#[test]
fn the_deployment_arguments_are_accepted_by_souverain_serve() {
    let deployment = one("Deployment");
    let args = strings(&deployment["spec"]["template"]["spec"]["containers"][0]["args"]);
    assert_eq!(args[0], "serve");
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for arg in &args[1..] {
        let flag = arg.split('=').next().unwrap();
        assert!(
            help.contains(&format!("{flag} ")),
            "{flag} is not a flag of serve:\n{help}"
        );
    }
    let mounts: Vec<&str> = deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["mountPath"].as_str())
        .collect();
    for arg in args.iter().filter(|a| a.contains("=/")) {
        let file = arg.split_once('=').unwrap().1;
        assert!(
            mounts.iter().any(|m| file.starts_with(&format!("{m}/"))),
            "{file} is not under a mounted volume"
        );
    }
}

#[test]
fn the_webhook_configuration_reaches_the_service_safely() {
    let configuration = one("ValidatingWebhookConfiguration");
    let service = one("Service");
    let certificate = one("Certificate");
    let webhooks = configuration["webhooks"].as_array().unwrap();
    assert_eq!(webhooks.len(), 1);
    let webhook = &webhooks[0];
    assert_eq!(webhook["sideEffects"], "None", "dry runs must be sent");
    assert_eq!(strings(&webhook["admissionReviewVersions"]), ["v1"]);
    let timeout = webhook["timeoutSeconds"].as_u64().unwrap();
    assert!((1..=10).contains(&timeout), "timeoutSeconds {timeout}");
    assert!(matches!(
        webhook["failurePolicy"].as_str(),
        Some("Fail" | "Ignore")
    ));

    let target = &webhook["clientConfig"]["service"];
    assert_eq!(target["path"], "/validate");
    assert_eq!(target["name"], service["metadata"]["name"]);
    assert_eq!(target["namespace"], service["metadata"]["namespace"]);
    assert!(
        service["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["port"] == target["port"] && p["targetPort"] == "https"),
        "the Service forwards port {} to the webhook's HTTPS port",
        target["port"]
    );

    let excluded = webhook["namespaceSelector"]["matchExpressions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "kubernetes.io/metadata.name" && e["operator"] == "NotIn")
        .expect("a namespaceSelector excluding namespaces by name");
    let excluded = strings(&excluded["values"]);
    assert!(excluded.contains(&"kube-system"));
    assert!(excluded.contains(&service["metadata"]["namespace"].as_str().unwrap()));

    let injected = configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]
        .as_str()
        .unwrap();
    assert_eq!(
        injected,
        format!(
            "{}/{}",
            certificate["metadata"]["namespace"].as_str().unwrap(),
            certificate["metadata"]["name"].as_str().unwrap()
        )
    );
    let service_dns = format!(
        "{}.{}.svc",
        service["metadata"]["name"].as_str().unwrap(),
        service["metadata"]["namespace"].as_str().unwrap()
    );
    assert!(strings(&certificate["spec"]["dnsNames"]).contains(&service_dns.as_str()));
}

/// Every built-in kind souverain reads is sent to it, on CREATE and
/// UPDATE, and every CRD group listed is one the policy's operators cover.
#[test]
fn the_webhook_is_sent_every_kind_souverain_reads() {
    let configuration = one("ValidatingWebhookConfiguration");
    let rules = configuration["webhooks"][0]["rules"]
        .as_array()
        .unwrap()
        .clone();
    let sends = |group: &str, resource: &str| {
        rules.iter().any(|rule| {
            let has = |key: &str, value: &str| strings(&rule[key]).contains(&value);
            has("apiGroups", group)
                && (has("resources", resource) || has("resources", "*"))
                && has("operations", "CREATE")
                && has("operations", "UPDATE")
        })
    };
    for (group, kind, resource) in BUILT_IN_KINDS {
        assert!(
            sends(group, resource),
            "{kind} ({group}/{resource}) is not sent"
        );
    }
    let operators = &common::policy().kubernetes.operators;
    let built_in: Vec<&str> = BUILT_IN_KINDS.iter().map(|(g, _, _)| *g).collect();
    for rule in &rules {
        for group in strings(&rule["apiGroups"]) {
            let known = built_in.contains(&group)
                || operators.values().any(|o| {
                    o.groups
                        .iter()
                        .any(|suffix| group.ends_with(suffix.as_str()))
                });
            assert!(known, "{group}: no operator of the policy reads this group");
        }
    }
}
