# dynamic blocks generate groups, tasks and ports, with custom iterators and labels.
locals {
  services = {
    api    = { port = 8080, cpu = 200 }
    worker = { port = 9090, cpu = 100 }
  }
}

job "dynamic" {
  dynamic "group" {
    for_each = local.services
    labels   = [group.key]

    content {
      network {
        dynamic "port" {
          for_each = ["http", "metrics"]
          iterator = p
          labels   = [p.value]
          content {
            to = p.value == "http" ? group.value.port : group.value.port + 1
          }
        }
      }

      task "main" {
        driver = "docker"
        config {
          image = "svc/${group.key}"
        }
        env {
          PORT = group.value.port
        }
        resources {
          cpu = group.value.cpu
        }
      }
    }
  }
}
