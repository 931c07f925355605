# Horizontal group scaling with a policy, and vertical task scaling.
job "scaling" {
  group "web" {
    count = 2

    scaling {
      enabled = true
      min     = 1
      max     = 10

      policy {
        cooldown            = "1m"
        evaluation_interval = "30s"

        check "cpu" {
          source = "prometheus"
          query  = "avg(cpu)"
          strategy "target-value" {
            target = 70
          }
        }
      }
    }

    task "app" {
      driver = "docker"
      config {
        image = "web"
      }

      scaling "cpu" {
        enabled = true
        max     = 2000
        policy {
          check "p95" {
            strategy "app-sizing-percentile" {
              percentile = "95"
            }
          }
        }
      }

      scaling "mem" {
        max  = 1024
        type = "vertical_mem"
      }
    }
  }
}
