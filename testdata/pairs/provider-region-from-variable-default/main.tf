variable "region" {
  description = "AWS region"
  default     = "us-east-1"
}

provider "aws" {
  region = var.region
}

resource "aws_ebs_volume" "data" {
  size      = 20
  encrypted = true
}
