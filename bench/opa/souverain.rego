# The comparison policy for OPA (bench/compare.sh): souverain's region and
# encryption rules written as a Rego user would write them for Terraform
# plan JSON. It reads each resource's own location attributes and, when it
# has none, the region of the root provider configuration it uses (constant
# or root variable); it does not follow module arguments or aliases passed
# to modules, which souverain does. Encryption: the attributes of the
# common AWS, Azure and OVHcloud storage types.
package souverain

import rego.v1

french := {
	"eu-west-3", "eu-west-3a", "eu-west-3b", "eu-west-3c",
	"francecentral", "francesouth", "France Central", "France South",
	"europe-west9", "europe-west9-a", "europe-west9-b", "europe-west9-c", "EUROPE-WEST9",
	"GRA", "GRA7", "GRA9", "GRA11", "SBG5", "RBX-A", "PAR",
	"cloudgouv-eu-west-1", "cloudgouv-eu-west-1a", "cloudgouv-eu-west-1b", "eu-west-2", "eu-west-2a",
	"fr-par", "fr-par-1", "fr-par-2", "fr-par-3",
}

location_attributes := [
	"region", "location", "availability_zone", "zone", "region_name", "subregion_name",
]

deployed(rc) if {
	some action in rc.change.actions
	action in {"create", "update"}
}

# The location attributes a resource sets itself.
own_locations(rc) := {value |
	some attribute in location_attributes
	value := rc.change.after[attribute]
	is_string(value)
}

# The region of the root provider configuration: a constant or a variable.
provider_region(rc) := region if {
	key := split(rc.provider_name, "/")[2]
	config := input.configuration.provider_config[key]
	region := config.expressions.region.constant_value
}

provider_region(rc) := region if {
	key := split(rc.provider_name, "/")[2]
	config := input.configuration.provider_config[key]
	reference := config.expressions.region.references[0]
	startswith(reference, "var.")
	region := input.variables[substring(reference, 4, -1)].value
}

locations(rc) := own if {
	own := own_locations(rc)
	count(own) > 0
} else := {region} if {
	region := provider_region(rc)
} else := set()

deny contains msg if {
	some rc in input.resource_changes
	deployed(rc)
	some location in locations(rc)
	not location in french
	msg := sprintf("%s is in %s, outside France", [rc.address, location])
}

encryption := {
	"aws_ebs_volume": "encrypted",
	"aws_db_instance": "storage_encrypted",
	"aws_rds_cluster": "storage_encrypted",
	"aws_efs_file_system": "encrypted",
	"ovh_cloud_project_volume": "encryption",
}

deny contains msg if {
	some rc in input.resource_changes
	deployed(rc)
	attribute := encryption[rc.type]
	not rc.change.after[attribute] == true
	not rc.change.after_unknown[attribute] == true
	msg := sprintf("%s is not encrypted at rest (%s)", [rc.address, attribute])
}

deny contains msg if {
	some rc in input.resource_changes
	deployed(rc)
	rc.type == "azurerm_storage_account"
	rc.change.after.infrastructure_encryption_enabled == false
	msg := sprintf("%s has infrastructure encryption off", [rc.address])
}
