# The flat variables block declares variables by their defaults; a JSON var file sets them.
variables {
  region_name = "global"
  replicas    = 1
  labels      = ["a"]
}

job "flat-variables" {
  region = var.region_name

  group "g" {
    count = var.replicas
    task "t" {
      driver = "exec"
      config {
        command = "run"
        args    = var.labels
      }
    }
  }
}
