data "aws_ssm_parameter" "region" {
  name = "/platform/region"
}

provider "aws" {
  region = data.aws_ssm_parameter.region.value
}

resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
