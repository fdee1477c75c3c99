//! Where each location comes from: the resolution paths of design.md, one
//! fixture each, asserting the value found and its provenance.

mod common;

use souverain::model::{Location, ProvenanceKind, Verdict};
use souverain::{Engine, locate};

/// The locations the engine works out for one resource of a fixture.
fn locations_of(path: &str, address: &str) -> Vec<Location> {
    let bytes = std::fs::read(common::root().join(path)).expect("fixture");
    let parsed = souverain::input::parse(
        path,
        &bytes,
        &common::policy().kubernetes,
        &souverain::input::KeptAttributes::All,
        &souverain::Limits::default(),
    )
    .map_err(|failed| failed.error)
    .expect("parses");
    let resource = parsed
        .resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("{address} not in {path}"));
    let provider = common::policy()
        .provider(&resource.provider)
        .expect("catalogued provider");
    locate::locations(resource, provider)
}

fn only(locations: &[Location]) -> &Location {
    assert_eq!(locations.len(), 1, "{locations:#?}");
    &locations[0]
}

#[test]
fn alias_declared_in_a_child_module_resolves_through_the_module_argument() {
    let l = locations_of(
        "testdata/location-outside-france/pass/alias-in-child-module.json",
        "module.paris.aws_s3_bucket.data",
    );
    let l = only(&l);
    assert_eq!(l.value.as_deref(), Some("eu-west-3"));
    assert_eq!(l.provenance.kind, ProvenanceKind::ProviderBlock);
    assert!(
        l.provenance.detail.contains("`aws.fr` in module.paris"),
        "{}",
        l.provenance.detail
    );
    assert!(
        l.provenance.detail.contains("module.paris argument region"),
        "{}",
        l.provenance.detail
    );
}

#[test]
fn region_from_a_variable_default_names_the_variable() {
    let l = locations_of(
        "testdata/location-outside-france/fail/provider-region-from-variable-default.json",
        "aws_ebs_volume.data",
    );
    let l = only(&l);
    assert_eq!(l.value.as_deref(), Some("us-east-1"));
    assert!(
        l.provenance
            .detail
            .contains("region = var.region = \"us-east-1\""),
        "{}",
        l.provenance.detail
    );
}

#[test]
fn tfvars_value_overrides_the_default() {
    let l = locations_of(
        "testdata/location-outside-france/pass/provider-region-from-tfvars-override.json",
        "aws_ebs_volume.data",
    );
    assert_eq!(only(&l).value.as_deref(), Some("eu-west-3"));
}

#[test]
fn module_argument_indexes_a_map_variable() {
    let l = locations_of(
        "testdata/location-outside-france/pass/provider-region-through-module-argument.json",
        "module.net.aws_subnet.a",
    );
    let l = only(&l);
    assert_eq!(l.value.as_deref(), Some("eu-west-3"));
    assert!(
        l.provenance.detail.contains("var.regions[\"fr\"]"),
        "{}",
        l.provenance.detail
    );
}

#[test]
fn nested_module_falls_back_to_the_module_variable_default() {
    let l = locations_of(
        "testdata/location-outside-france/fail/provider-region-through-nested-module-default.json",
        "module.app.module.db.aws_db_instance.main",
    );
    let l = only(&l);
    assert_eq!(l.value.as_deref(), Some("eu-central-1"));
    assert!(
        l.provenance.detail.contains("(default)"),
        "{}",
        l.provenance.detail
    );
}

#[test]
fn legacy_module_keys_inherit_the_root_configuration() {
    let l = locations_of(
        "testdata/location-outside-france/fail/legacy-module-key-inherits-root-provider.json",
        "module.child.aws_vpc.main",
    );
    let l = only(&l);
    assert_eq!(l.value.as_deref(), Some("us-east-2"));
    assert!(
        l.provenance.detail.contains("(inherited)"),
        "{}",
        l.provenance.detail
    );
}

#[test]
fn aws_v6_resource_region_overrides_the_provider() {
    let path = "testdata/location-outside-france/fail/aws-v6-resource-region-override.json";
    let replica = locations_of(path, "aws_s3_bucket.replica");
    let replica = only(&replica);
    assert_eq!(replica.value.as_deref(), Some("us-east-1"));
    assert_eq!(replica.provenance.kind, ProvenanceKind::Literal);
    let main = locations_of(path, "aws_s3_bucket.main");
    let main = only(&main);
    assert_eq!(main.value.as_deref(), Some("eu-west-3"));
    assert_eq!(
        main.provenance.kind,
        ProvenanceKind::ProviderBlock,
        "computed from the provider"
    );
}

#[test]
fn unknown_regions_are_undetermined_never_absent() {
    for (path, address) in [
        (
            "testdata/location-outside-france/undetermined/provider-region-from-local.json",
            "aws_s3_bucket.b",
        ),
        (
            "testdata/location-outside-france/undetermined/resource-region-known-after-apply.json",
            "aws_s3_bucket.copy",
        ),
        (
            "testdata/location-outside-france/undetermined/no-region-anywhere.json",
            "aws_sqs_queue.q",
        ),
    ] {
        let l = locations_of(path, address);
        let l = only(&l);
        assert_eq!(l.value, None, "{path}");
        assert_eq!(l.provenance.kind, ProvenanceKind::Unknown, "{path}");
    }
}

#[test]
fn provider_default_applies_only_when_nothing_is_configured() {
    // Cloud Temple has one region: its default is a fact.
    let l = locations_of(
        "testdata/location-outside-france/pass/cloudtemple-single-region.json",
        "cloudtemple_compute_virtual_machine.records",
    );
    let l = only(&l);
    assert_eq!(l.value.as_deref(), Some("FR1"));
    assert_eq!(l.provenance.kind, ProvenanceKind::ProviderDefault);
    // Scaleway's region comes from the environment first: fr-par is a guess.
    let l = locations_of(
        "testdata/location-outside-france/undetermined/scaleway-region-from-environment.json",
        "scaleway_rdb_instance.db",
    );
    let l = only(&l);
    assert_eq!(l.value, None);
    assert!(
        l.provenance.detail.contains("SCW_DEFAULT_REGION"),
        "{}",
        l.provenance.detail
    );
    let l = locations_of(
        "testdata/location-outside-france/pass/scaleway-region-pinned.json",
        "scaleway_rdb_instance.db",
    );
    assert_eq!(only(&l).value.as_deref(), Some("fr-par"));
}

#[test]
fn every_location_counts_replicas_and_dual_regions() {
    let l = locations_of(
        "testdata/location-outside-france/fail/dynamodb-replica-outside-france.json",
        "aws_dynamodb_table.t",
    );
    let values: Vec<_> = l.iter().map(|l| l.value.as_deref()).collect();
    assert_eq!(values, vec![Some("eu-west-3"), Some("us-east-1")]);

    let l = locations_of(
        "testdata/location-outside-france/fail/gcs-dual-region-outside-france.json",
        "google_storage_bucket.dual",
    );
    let values: Vec<_> = l.iter().filter_map(|l| l.value.as_deref()).collect();
    assert_eq!(values, vec!["EU", "EUROPE-WEST9", "EUROPE-WEST1"]);
}

#[test]
fn endpoint_urls_yield_their_region() {
    let l = locations_of(
        "testdata/location-outside-france/pass/numspot-region-from-host.json",
        "numspot_volume.v",
    );
    assert_eq!(only(&l).value.as_deref(), Some("cloudgouv-eu-west-1"));
}

#[test]
fn eea_profile_accepts_what_strict_rejects_and_drops_the_provider_rule() {
    let path = "testdata/location-outside-france/fail/azurerm-west-europe.json";
    let strict = common::scan(path);
    assert_eq!(
        common::verdicts(
            &strict,
            "location-outside-france",
            "azurerm_resource_group.rg"
        ),
        vec![Verdict::Violation]
    );
    let eea = common::scan_with(path, Some("eea"));
    assert!(eea.findings.is_empty(), "{:#?}", eea.findings);
}

#[test]
fn undetermined_fails_or_warns_as_the_profile_says() {
    let policy = {
        let mut p = common::policy().clone();
        p.extend(
            "lenient.yaml",
            "profiles:\n  lenient:\n    description: warn only\n    allowed_countries: [FR]\n    families: [region]\n    undetermined: warn\n",
        )
        .expect("valid");
        p
    };
    let bytes = std::fs::read(
        common::root()
            .join("testdata/location-outside-france/undetermined/no-region-anywhere.json"),
    )
    .expect("fixture");
    let strict = Engine::new(&policy, None)
        .expect("strict")
        .scan("x.json", &bytes);
    assert!(strict.findings.iter().all(|f| f.failing));
    let lenient = Engine::new(&policy, Some("lenient"))
        .expect("lenient")
        .scan("x.json", &bytes);
    assert!(!lenient.findings.is_empty());
    assert!(
        lenient
            .findings
            .iter()
            .all(|f| !f.failing && f.verdict == Verdict::Undetermined)
    );
}
