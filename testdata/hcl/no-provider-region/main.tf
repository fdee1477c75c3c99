# No region anywhere: it comes from AWS_REGION or the profile at apply time.
provider "aws" {}

resource "aws_s3_bucket" "archive" {
  bucket = "archive"
}
