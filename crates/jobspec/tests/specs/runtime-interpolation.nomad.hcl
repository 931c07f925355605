# References to client-side values are kept as written for the client to fill in.
variable "suffix" {
  default = "prod"
}

job "runtime" {
  region = meta.region

  constraint {
    attribute = attr.kernel.name
    value     = "linux"
  }

  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "${NOMAD_TASK_DIR}/bin/run"
        args = [
          "--node=${node.unique.id}",
          "--rack=${meta.rack}-${var.suffix}",
          "--addr=${attr.unique.network.ip-address}",
          "${env["HOME"]}",
          "${   NOMAD_ALLOC_ID   }",
          "${attr.network.dev-us-east1-relay-vpc.external-ip.0}",
          upper(node.class),
        ]
      }
      env {
        DATA = "${NOMAD_ALLOC_DIR}/data"
        PORT = "${NOMAD_PORT_http}"
      }
    }
  }
}
