provider "aws" {
  region = "eu-west-3"
}
