//! Large, realistic inputs for benchmarks, generated (never committed):
//! Terraform plan JSON as `terraform show -json` writes it, Terraform module
//! trees and multi-document Kubernetes manifests.
//!
//! Every input mixes providers (AWS with an aliased second region, Azure,
//! Google, OVHcloud, Outscale, Scaleway, random), puts resources in modules
//! (a hundred resources per module call), resolves regions through
//! variables and provider aliases, and carries the attributes rules never
//! read (tags, ids, sizes, `*_sensitive` maps, `planned_values`), so that
//! parsing pays what it pays on real plans. About one resource in seven is
//! outside France or unencrypted, so reports are not empty.
//!
//! Used by the criterion benches (`benches/`) and by `cargo run --release
//! --example generate` for the whole-process comparisons of `bench/`.

#![allow(dead_code)] // each bench uses a part

use serde_json::{Value, json};
use std::fmt::Write;

/// Resources per module call.
const PER_MODULE: usize = 100;

/// One resource of a plan: its type, provider configuration key (in the
/// module), attributes after apply, and the attributes known only after.
struct Planned {
    kind: &'static str,
    provider: &'static str,
    after: Value,
    unknown: Value,
}

/// A small deterministic generator (splitmix64): the same inputs every run.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn tags(i: usize) -> Value {
    json!({
        "Name": format!("res-{i}"),
        "environment": "production",
        "owner": "platform-team@example.fr",
        "cost-center": format!("CC-{:04}", i % 97),
        "data-classification": "internal"
    })
}

/// The `i`th resource: a rotation over fourteen shapes.
fn planned(i: usize, mix: &mut Mix) -> Planned {
    let outside = mix.below(7) == 0;
    match i % 14 {
        0 => Planned {
            kind: "aws_s3_bucket",
            provider: if outside { "aws.us" } else { "aws" },
            after: json!({"bucket": format!("documents-{i}"), "force_destroy": false, "tags": tags(i), "tags_all": tags(i), "object_lock_enabled": null, "timeouts": null}),
            unknown: json!({"arn": true, "id": true, "region": true, "bucket_domain_name": true, "hosted_zone_id": true, "server_side_encryption_configuration": true, "versioning": true, "tags_all": {}}),
        },
        1 => Planned {
            kind: "aws_ebs_volume",
            provider: "aws",
            after: json!({"availability_zone": "eu-west-3a", "size": 100 + i % 400, "type": "gp3", "iops": 3000, "throughput": 125, "encrypted": !outside, "multi_attach_enabled": false, "final_snapshot": false, "tags": tags(i), "tags_all": tags(i)}),
            unknown: json!({"arn": true, "id": true, "kms_key_id": true, "snapshot_id": true, "tags_all": {}}),
        },
        2 => Planned {
            kind: "aws_db_instance",
            provider: "aws",
            after: json!({"engine": "postgres", "engine_version": "16.3", "instance_class": "db.m6g.large", "allocated_storage": 200, "storage_encrypted": !outside, "username": "app", "multi_az": true, "backup_retention_period": 14, "deletion_protection": true, "skip_final_snapshot": false, "tags": tags(i), "tags_all": tags(i)}),
            unknown: json!({"address": true, "arn": true, "endpoint": true, "id": true, "kms_key_id": true, "availability_zone": true, "tags_all": {}}),
        },
        3 => Planned {
            kind: "aws_iam_role",
            provider: "aws",
            after: json!({"name": format!("role-{i}"), "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}", "max_session_duration": 3600, "path": "/", "tags": tags(i)}),
            unknown: json!({"arn": true, "id": true, "unique_id": true, "inline_policy": true, "managed_policy_arns": true}),
        },
        4 => Planned {
            kind: "aws_security_group",
            provider: "aws",
            after: json!({"name": format!("sg-{i}"), "description": "Managed by Terraform", "revoke_rules_on_delete": false, "ingress": [{"cidr_blocks": ["10.0.0.0/8"], "from_port": 443, "to_port": 443, "protocol": "tcp", "description": "https", "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false}], "tags": tags(i)}),
            unknown: json!({"arn": true, "egress": true, "id": true, "owner_id": true, "vpc_id": true}),
        },
        5 => Planned {
            kind: "azurerm_managed_disk",
            provider: "azurerm",
            after: json!({"name": format!("disk-{i}"), "location": if outside { "westeurope" } else { "francecentral" }, "resource_group_name": "rg-prod", "storage_account_type": "Premium_LRS", "create_option": "Empty", "disk_size_gb": 256, "tags": tags(i)}),
            unknown: json!({"id": true, "disk_iops_read_write": true, "disk_mbps_read_write": true}),
        },
        6 => Planned {
            kind: "azurerm_storage_account",
            provider: "azurerm",
            after: json!({"name": format!("st{i}"), "location": "francecentral", "resource_group_name": "rg-prod", "account_tier": "Standard", "account_replication_type": if outside { "GRS" } else { "ZRS" }, "min_tls_version": "TLS1_2", "tags": tags(i)}),
            unknown: json!({"id": true, "primary_access_key": true, "primary_blob_endpoint": true}),
        },
        7 => Planned {
            kind: "google_storage_bucket",
            provider: "google",
            after: json!({"name": format!("archive-{i}"), "location": if outside { "US" } else { "EUROPE-WEST9" }, "storage_class": "STANDARD", "uniform_bucket_level_access": true, "force_destroy": false, "labels": {"env": "prod"}}),
            unknown: json!({"id": true, "self_link": true, "url": true, "project": true}),
        },
        8 => Planned {
            kind: "google_compute_disk",
            provider: "google",
            after: json!({"name": format!("pd-{i}"), "zone": "europe-west9-b", "size": 200, "type": "pd-balanced", "labels": {"env": "prod"}}),
            unknown: json!({"id": true, "self_link": true, "project": true, "disk_encryption_key": true}),
        },
        9 => Planned {
            kind: "ovh_cloud_project_volume",
            provider: "ovh",
            after: json!({"name": format!("vol-{i}"), "region_name": "GRA11", "service_name": "0123456789abcdef", "size": 50, "type": "classic"}),
            unknown: json!({"id": true, "encryption": true}),
        },
        10 => Planned {
            kind: "outscale_volume",
            provider: "outscale",
            after: json!({"subregion_name": if outside { "eu-west-2a" } else { "cloudgouv-eu-west-1a" }, "size": 40, "volume_type": "gp2"}),
            unknown: json!({"id": true, "volume_id": true, "state": true}),
        },
        11 => Planned {
            kind: "scaleway_instance_volume",
            provider: "scaleway",
            after: json!({"name": format!("vol-{i}"), "zone": "fr-par-1", "size_in_gb": 20, "type": "b_ssd"}),
            unknown: json!({"id": true, "organization_id": true, "project_id": true}),
        },
        12 => Planned {
            kind: "random_id",
            provider: "random",
            after: json!({"byte_length": 8, "keepers": null, "prefix": null}),
            unknown: json!({"b64_std": true, "b64_url": true, "dec": true, "hex": true, "id": true}),
        },
        _ => Planned {
            kind: "aws_instance",
            provider: "aws",
            after: json!({"ami": "ami-0a89a7563fc68be84", "instance_type": "t3.medium", "availability_zone": if outside { "us-east-1b" } else { "eu-west-3b" }, "monitoring": true, "root_block_device": [{"encrypted": true, "volume_size": 30, "volume_type": "gp3", "delete_on_termination": true}], "tags": tags(i), "tags_all": tags(i), "user_data": "IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo="}),
            unknown: json!({"arn": true, "id": true, "private_ip": true, "public_ip": true, "subnet_id": true, "root_block_device": [{"kms_key_id": true, "volume_id": true}]}),
        },
    }
}

/// Provider configurations of the root module: AWS by a variable, a second
/// AWS aliased to Virginia, and one of each other cloud.
fn provider_config() -> Value {
    let full = |source: &str| format!("registry.terraform.io/{source}");
    json!({
        "aws": {"name": "aws", "full_name": full("hashicorp/aws"), "version_constraint": "~> 5.0",
                "expressions": {"region": {"references": ["var.region"]}}},
        "aws.us": {"name": "aws", "full_name": full("hashicorp/aws"), "alias": "us",
                   "expressions": {"region": {"constant_value": "us-east-1"}}},
        "azurerm": {"name": "azurerm", "full_name": full("hashicorp/azurerm"),
                    "expressions": {"features": [{}]}},
        "google": {"name": "google", "full_name": full("hashicorp/google"),
                   "expressions": {"project": {"constant_value": "prod-123"}, "region": {"constant_value": "europe-west9"}}},
        "ovh": {"name": "ovh", "full_name": full("ovh/ovh"),
                "expressions": {"endpoint": {"constant_value": "ovh-eu"}}},
        "outscale": {"name": "outscale", "full_name": full("outscale/outscale"),
                     "expressions": {"api": [{"region": {"constant_value": "cloudgouv-eu-west-1"}}]}},
        "scaleway": {"name": "scaleway", "full_name": full("scaleway/scaleway"),
                     "expressions": {"region": {"constant_value": "fr-par"}}},
        "random": {"name": "random", "full_name": full("hashicorp/random")}
    })
}

fn source_of(provider: &str) -> &'static str {
    match provider {
        "aws" | "aws.us" => "hashicorp/aws",
        "azurerm" => "hashicorp/azurerm",
        "google" => "hashicorp/google",
        "ovh" => "ovh/ovh",
        "outscale" => "outscale/outscale",
        "scaleway" => "scaleway/scaleway",
        _ => "hashicorp/random",
    }
}

/// A plan of `resources` resources in modules of a hundred, as `terraform
/// show -json` writes it (format 1.2): `planned_values`,
/// `resource_changes` and `configuration`.
pub fn plan(resources: usize) -> String {
    let mut mix = Mix(resources as u64);
    let modules = resources.div_ceil(PER_MODULE);
    let mut changes = Vec::with_capacity(resources);
    let mut planned_modules = Vec::with_capacity(modules);
    let mut calls = serde_json::Map::new();
    for m in 0..modules {
        let module = format!("module.app_{m}");
        let mut planned_resources = Vec::new();
        let mut config_resources = Vec::new();
        for i in m * PER_MODULE..((m + 1) * PER_MODULE).min(resources) {
            let r = planned(i, &mut mix);
            let name = format!("r{i}");
            let local = format!("{}.{name}", r.kind);
            let address = format!("{module}.{local}");
            let provider_name = format!("registry.terraform.io/{}", source_of(r.provider));
            let sensitive = json!({"tags": {}, "tags_all": {}});
            changes.push(json!({
                "address": address, "module_address": module, "mode": "managed",
                "type": r.kind, "name": name, "provider_name": provider_name,
                "change": {"actions": ["create"], "before": null, "after": r.after,
                           "after_unknown": r.unknown, "before_sensitive": false,
                           "after_sensitive": sensitive}
            }));
            planned_resources.push(json!({
                "address": address, "mode": "managed", "type": r.kind, "name": name,
                "provider_name": provider_name, "schema_version": 0,
                "values": r.after, "sensitive_values": {}
            }));
            // Modules pass their providers down: `aws.us` inside the module
            // is the root's alias.
            let key = if r.provider == "aws.us" {
                "aws.us".to_string()
            } else {
                format!("app_{m}:{}", r.provider)
            };
            config_resources.push(json!({
                "address": local, "mode": "managed", "type": r.kind, "name": name,
                "provider_config_key": key, "schema_version": 0,
                "expressions": {"tags": {"references": ["var.tags"]}}
            }));
        }
        planned_modules.push(json!({"address": module, "resources": planned_resources}));
        calls.insert(
            format!("app_{m}"),
            json!({
                "source": "./modules/app",
                "expressions": {"tags": {"references": ["local.tags"]}},
                "module": {"resources": config_resources,
                           "variables": {"tags": {"default": {}}}}
            }),
        );
    }
    let document = json!({
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "variables": {"region": {"value": "eu-west-3"}},
        "planned_values": {"root_module": {"child_modules": planned_modules}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": provider_config(),
            "root_module": {
                "module_calls": calls,
                "variables": {"region": {"default": "eu-west-3", "description": "AWS region"}}
            }
        },
        "timestamp": "2026-11-23T09:00:00Z",
        "applyable": true,
        "complete": true,
        "errored": false
    });
    serde_json::to_string(&document).expect("a plan serializes")
}

/// `documents` Kubernetes objects in one multi-document YAML stream: pinned
/// workloads, stateful sets with claims, storage classes, claims, services
/// and config maps, and Crossplane buckets.
pub fn manifests(documents: usize) -> String {
    let mut mix = Mix(documents as u64);
    let mut out = String::with_capacity(documents * 700);
    for i in 0..documents {
        let outside = mix.below(7) == 0;
        let region = if outside { "us-east-1" } else { "eu-west-3" };
        let zone = if outside { "us-east-1a" } else { "eu-west-3a" };
        let _ = match i % 7 {
            0 => write!(
                out,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  namespace: team-{ns}\n  labels:\n    app.kubernetes.io/name: web-{i}\n    app.kubernetes.io/part-of: portal\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: web-{i}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: web-{i}\n    spec:\n      nodeSelector:\n        topology.kubernetes.io/region: {region}\n      containers:\n        - name: web\n          image: registry.example.fr/portal/web:1.{i}\n          ports:\n            - containerPort: 8080\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n            limits: {{cpu: 500m, memory: 256Mi}}\n          env:\n            - name: LOG_LEVEL\n              value: info\n",
                ns = i % 20
            ),
            1 => write!(
                out,
                "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db-{i}\n  namespace: team-{ns}\nspec:\n  serviceName: db-{i}\n  replicas: 3\n  selector:\n    matchLabels: {{app: db-{i}}}\n  template:\n    metadata:\n      labels: {{app: db-{i}}}\n    spec:\n      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n              - matchExpressions:\n                  - key: topology.kubernetes.io/zone\n                    operator: In\n                    values: [{zone}]\n      containers:\n        - name: postgres\n          image: postgres:16\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        accessModes: [ReadWriteOnce]\n        storageClassName: encrypted-gp3\n        resources:\n          requests:\n            storage: 100Gi\n",
                ns = i % 20
            ),
            2 => write!(
                out,
                "---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: gp3-{i}\nprovisioner: ebs.csi.aws.com\nparameters:\n  type: gp3\n  encrypted: \"{encrypted}\"\nallowedTopologies:\n  - matchLabelExpressions:\n      - key: topology.kubernetes.io/zone\n        values: [{zone}]\nvolumeBindingMode: WaitForFirstConsumer\n",
                encrypted = !outside
            ),
            3 => write!(
                out,
                "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data-{i}\n  namespace: team-{ns}\nspec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: gp3-{i}\n  resources:\n    requests:\n      storage: 20Gi\n",
                ns = i % 20
            ),
            4 => write!(
                out,
                "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\n  namespace: team-{ns}\nspec:\n  selector:\n    app.kubernetes.io/name: web-{i}\n  ports:\n    - port: 80\n      targetPort: 8080\n",
                ns = i % 20
            ),
            5 => write!(
                out,
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-{i}\n  namespace: team-{ns}\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"search,export,audit\"\n  application.yaml: |\n    server:\n      port: 8080\n    management:\n      endpoints: [health, metrics]\n",
                ns = i % 20
            ),
            _ => write!(
                out,
                "---\napiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata:\n  name: archive-{i}\nspec:\n  forProvider:\n    region: {region}\n    tags:\n      owner: platform-team\n  providerConfigRef:\n    name: default\n"
            ),
        };
    }
    out
}

/// A Terraform configuration of `resources` resources: a root module with
/// the providers and one call per hundred resources to its own module
/// directory (`modules/app_N`), whose resources read variables and locals.
/// Files as (path under the root, text).
pub fn hcl_tree(resources: usize) -> Vec<(String, String)> {
    let modules = resources.div_ceil(PER_MODULE);
    let mut files = Vec::new();
    let mut root = String::from(
        r#"terraform {
  required_providers {
    aws      = { source = "hashicorp/aws", version = "~> 5.0" }
    azurerm  = { source = "hashicorp/azurerm", version = "~> 4.0" }
    google   = { source = "hashicorp/google", version = "~> 6.0" }
    outscale = { source = "outscale/outscale", version = "~> 1.0" }
  }
}

variable "region" {
  type    = string
  default = "eu-west-3"
}

locals {
  tags = { environment = "production", owner = "platform-team@example.fr" }
}

provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "us"
  region = "us-east-1"
}

provider "azurerm" {
  features {}
}

provider "google" {
  project = "prod-123"
  region  = "europe-west9"
}

provider "outscale" {
  api {
    region = "cloudgouv-eu-west-1"
  }
}
"#,
    );
    for m in 0..modules {
        let _ = write!(
            root,
            "\nmodule \"app_{m}\" {{\n  source = \"./modules/app_{m}\"\n  tags   = local.tags\n  zone   = \"${{var.region}}a\"\n  providers = {{\n    aws      = aws\n    aws.us   = aws.us\n    azurerm  = azurerm\n    google   = google\n    outscale = outscale\n  }}\n}}\n"
        );
        let mut main = String::from(
            "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\", configuration_aliases = [aws.us] }\n    outscale = { source = \"outscale/outscale\" }\n  }\n}\n\nvariable \"tags\" {\n  type = map(string)\n}\n\nvariable \"zone\" {\n  type = string\n}\n\nlocals {\n  name = \"app\"\n  size = 100\n}\n",
        );
        let mut mix = Mix(m as u64);
        for i in m * PER_MODULE..((m + 1) * PER_MODULE).min(resources) {
            let outside = mix.below(7) == 0;
            let _ = match i % 6 {
                0 => write!(
                    main,
                    "\nresource \"aws_s3_bucket\" \"b{i}\" {{\n  {provider}bucket = \"${{local.name}}-documents-{i}\"\n  tags   = var.tags\n}}\n",
                    provider = if outside { "provider = aws.us\n  " } else { "" }
                ),
                1 => write!(
                    main,
                    "\nresource \"aws_ebs_volume\" \"v{i}\" {{\n  availability_zone = var.zone\n  size              = local.size + {i}\n  encrypted         = {encrypted}\n  tags              = merge(var.tags, {{ Name = \"v{i}\" }})\n}}\n",
                    encrypted = !outside
                ),
                2 => write!(
                    main,
                    "\nresource \"aws_db_instance\" \"db{i}\" {{\n  engine            = \"postgres\"\n  instance_class    = \"db.m6g.large\"\n  allocated_storage = 200\n  storage_encrypted = {encrypted}\n  tags              = var.tags\n}}\n",
                    encrypted = !outside
                ),
                3 => write!(
                    main,
                    "\nresource \"azurerm_managed_disk\" \"d{i}\" {{\n  name                 = \"disk-{i}\"\n  location             = \"{location}\"\n  resource_group_name  = \"rg-prod\"\n  storage_account_type = \"Premium_LRS\"\n  create_option        = \"Empty\"\n  disk_size_gb         = 256\n}}\n",
                    location = if outside {
                        "westeurope"
                    } else {
                        "francecentral"
                    }
                ),
                4 => write!(
                    main,
                    "\nresource \"google_storage_bucket\" \"g{i}\" {{\n  name     = \"archive-{i}\"\n  location = \"{location}\"\n  uniform_bucket_level_access = true\n}}\n",
                    location = if outside { "US" } else { "EUROPE-WEST9" }
                ),
                _ => write!(
                    main,
                    "\nresource \"outscale_volume\" \"o{i}\" {{\n  subregion_name = \"cloudgouv-eu-west-1a\"\n  size           = 40\n}}\n"
                ),
            };
        }
        files.push((format!("modules/app_{m}/main.tf"), main));
    }
    files.insert(0, ("main.tf".to_string(), root));
    files
}
