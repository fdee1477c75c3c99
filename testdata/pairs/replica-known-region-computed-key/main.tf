# The replica's region is written; only its key is computed at apply.
provider "aws" {
  region = "eu-west-3"
}

resource "aws_kms_key" "replica" {
  enable_key_rotation = true
}

resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"

  server_side_encryption {
    enabled = true
  }

  replica {
    region_name = "us-east-1"
    kms_key_arn = aws_kms_key.replica.arn
  }
}
