# Task resources: cores, memory oversubscription, devices with their own placement rules, NUMA.
job "resources" {
  group "train" {
    task "model" {
      driver = "docker"
      config {
        image = "trainer:latest"
      }
      resources {
        cores      = 4
        memory     = 4096
        memory_max = 8192
        disk       = 1024
        secrets    = 10

        device "nvidia/gpu" {
          count = 2
          constraint {
            attribute = "${device.attr.memory}"
            operator  = ">="
            value     = "16 GiB"
          }
          affinity {
            attribute = "${device.model}"
            value     = "Tesla V100"
            weight    = 50
          }
        }

        numa {
          affinity = "require"
          devices  = ["nvidia/gpu"]
        }
      }
    }
  }
}
