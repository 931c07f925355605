# Locals may use variables and each other, in any order.
variable "env" {
  default = "staging"
}

locals {
  name      = "${local.prefix}-api"
  instances = lookup(local.sizes, var.env, 1)
}

locals {
  prefix = "app-${var.env}"
  sizes = {
    prod    = 5
    staging = 2
  }
  tags = [for k, v in local.sizes : "${k}=${v}"]
}

job "locals" {
  name = local.name

  group "g" {
    count = local.instances
    task "t" {
      driver = "exec"
      config {
        command = "run"
        args    = local.tags
      }
    }
  }
}
