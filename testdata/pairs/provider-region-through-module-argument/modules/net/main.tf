variable "region" {}

provider "aws" {
  region = var.region
}

resource "aws_subnet" "a" {
  cidr_block = "10.0.1.0/24"
}
