# No region in the configuration: SCW_DEFAULT_REGION or the active profile
# decides at apply time, and only without them is it fr-par.
terraform {
  required_providers {
    scaleway = { source = "scaleway/scaleway" }
  }
}

provider "scaleway" {}

resource "scaleway_rdb_instance" "db" {
  name               = "db"
  encryption_at_rest = true
}
