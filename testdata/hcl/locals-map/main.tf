locals {
  regions = {
    primary  = "eu-west-3"
    recovery = "eu-central-1"
  }
  recovery_region = lookup(local.regions, "recovery", "eu-west-3")
}

provider "aws" {
  region = local.regions["primary"]
}

resource "aws_s3_bucket" "primary" {
  bucket = "primary"
}

# AWS provider v6: a per-resource region overrides the provider's.
resource "aws_s3_bucket" "recovery" {
  bucket = "recovery"
  region = local.recovery_region
}
