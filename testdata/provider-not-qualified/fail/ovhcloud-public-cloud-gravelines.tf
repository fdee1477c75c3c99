# OVHcloud Public Cloud in Gravelines: in France, but not a qualified offer.
terraform {
  required_providers {
    ovh = { source = "ovh/ovh" }
  }
}

resource "ovh_cloud_project_instance" "records" {
  service_name   = "0123456789abcdef"
  region         = "GRA11"
  billing_period = "monthly"
  name           = "records"
}
