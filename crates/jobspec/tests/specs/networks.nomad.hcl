# Group networks with DNS, CNI args and host networks, and a task-level network as older
# jobspecs write it.
job "networks" {
  group "g" {
    network {
      mode     = "cni/mynet"
      hostname = "web-${NOMAD_ALLOC_INDEX}"
      port "http" {
        static       = 80
        to           = 8080
        host_network = "public"
      }
      port "metrics" {
        to = 9100
        ignore_collision = false
      }
      dns {
        servers  = ["1.1.1.1", "8.8.8.8"]
        searches = ["internal"]
        options  = ["ndots:2"]
      }
      cni {
        args = {
          IgnoreUnknown = "true"
          team          = "infra"
        }
      }
    }

    task "t" {
      driver = "docker"
      config {
        image = "nginx"
        ports = ["http", "metrics"]
      }
      resources {
        network {
          mbits = 10
          device = "eth0"
          port "legacy" {}
        }
      }
    }
  }
}
