job "example" {
  type = "service"
  group "cache" {
    count = 2
    network {
      port "db" {
        to = 6379
      }
      port "http" {
        static = 8080
      }
    }
    task "redis" {
      driver = "docker"
      config {
        image = "redis:7"
        ports = ["db"]
        auth {
          username = "u"
        }
        labels = {
          a = "b"
        }
      }
      resources {
        cpu    = 100
        memory = 256
      }
      template {
        data        = "x ${NOMAD_TASK_DIR} {{ key \"a\" }}"
        destination = "local/x"
      }
    }
  }
}
