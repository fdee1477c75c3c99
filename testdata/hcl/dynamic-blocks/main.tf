provider "aws" {
  region = "eu-west-3"
}

variable "volumes" {
  default = {
    data = { size = 100, encrypted = true }
    logs = { size = 20, encrypted = false }
  }
}

resource "aws_launch_template" "app" {
  name = "app"

  dynamic "block_device_mappings" {
    for_each = var.volumes
    content {
      device_name = "/dev/sd${block_device_mappings.key}"
      ebs {
        volume_size = block_device_mappings.value.size
        encrypted   = block_device_mappings.value.encrypted
      }
    }
  }
}
