provider "aws" {
  region = "eu-west-3"
}

resource "aws_s3_bucket" "replica" {
  bucket = "replica"
  region = "us-east-1"
}

resource "aws_s3_bucket" "main" {
  bucket = "main"
}
