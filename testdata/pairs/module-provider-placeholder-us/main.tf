# Terraform 0.13 to 1.2 write an empty `module.archive:aws` provider entry
# for a module that only requires the provider: it inherits the root's.
provider "aws" {
  region = "us-east-1"
}

module "archive" {
  source = "./modules/archive"
}
