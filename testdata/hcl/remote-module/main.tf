module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"
  name    = "main"
}

provider "scaleway" {
  region = "fr-par"
}

resource "scaleway_rdb_instance" "portal" {
  name               = "portal"
  engine             = "PostgreSQL-15"
  node_type          = "DB-DEV-S"
  encryption_at_rest = true
}
