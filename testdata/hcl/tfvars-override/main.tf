provider "aws" {
  region = var.region
}

resource "aws_ebs_volume" "data" {
  availability_zone = "${var.region}a"
  size              = 20
  encrypted         = true
}
