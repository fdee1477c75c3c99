provider "google" {
  project = "p"
  region  = "europe-west9"
}

resource "google_storage_bucket" "eu" {
  name     = "eu"
  location = "EU"
}
