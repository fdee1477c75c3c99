provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "paris"
  region = "eu-west-3"
}

module "documents" {
  source = "./modules/bucket"
  name   = "mairie-documents"
  providers = {
    aws = aws.paris
  }
}

module "logs" {
  source = "./modules/bucket"
  name   = "mairie-logs"
}
