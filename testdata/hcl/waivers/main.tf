terraform {
  required_providers {
    outscale = {
      source = "outscale/outscale"
    }
  }
}

provider "outscale" {
  api {
    region = "eu-west-2"
  }
}

# Accepted by the DPO until the move to cloudgouv-eu-west-1 (ticket SEC-142).
# souverain:ignore SOV301 reason="Migration to cloudgouv-eu-west-1 planned, ticket SEC-142" expires=2099-12-31
resource "outscale_volume" "accepted" {
  subregion_name = "eu-west-2a"
  size           = 40
}

# souverain:ignore SOV301 reason="Temporary exception for the pilot" expires=2020-01-31
resource "outscale_volume" "expired" {
  subregion_name = "eu-west-2b"
  size           = 40
}

# souverain:ignore SOV301
resource "outscale_volume" "unjustified" {
  subregion_name = "eu-west-2a"
  size           = 40
}
