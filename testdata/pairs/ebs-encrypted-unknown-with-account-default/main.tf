provider "aws" {
  region = "eu-west-3"
}

resource "aws_ebs_encryption_by_default" "on" {
  enabled = true
}

resource "aws_ebs_volume" "data" {
  size              = 20
  availability_zone = "eu-west-3a"
}
