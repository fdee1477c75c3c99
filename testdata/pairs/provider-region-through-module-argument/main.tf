variable "regions" {
  default = {
    fr = "eu-west-3"
    us = "us-east-1"
  }
}

module "net" {
  source = "./modules/net"
  region = var.regions["fr"]
}
