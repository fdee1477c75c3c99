# The bucket's dual-region placement comes from another state: it is known
# only at apply, whatever the provider's zone says.
provider "google" {
  zone = "europe-west9-a"
}

data "terraform_remote_state" "shared" {
  backend = "gcs"
  config = {
    bucket = "shared-state"
  }
}

resource "google_storage_bucket" "archive" {
  name     = "archive"
  custom_placement_config {
    data_locations = data.terraform_remote_state.shared.outputs.placement
  }
}
