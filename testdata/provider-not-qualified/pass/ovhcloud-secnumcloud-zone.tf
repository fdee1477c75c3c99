# A machine in OVHcloud's SecNumCloud zone of Roubaix (the `-snc` location).
terraform {
  required_providers {
    ovh = { source = "ovh/ovh" }
  }
}

resource "ovh_cloud_project_instance" "records" {
  service_name   = "0123456789abcdef"
  region         = "eu-west-rbx-snc"
  billing_period = "monthly"
  name           = "records"
}
