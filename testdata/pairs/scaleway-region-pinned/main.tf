# The region is pinned in the provider block.
terraform {
  required_providers {
    scaleway = { source = "scaleway/scaleway" }
  }
}

provider "scaleway" {
  region = "fr-par"
}

resource "scaleway_rdb_instance" "db" {
  name               = "db"
  encryption_at_rest = true
}
