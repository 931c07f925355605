# Group and task services with every kind of check.
job "services" {
  group "api" {
    network {
      mode = "bridge"
      port "http" {
        to = 8080
      }
      port "grpc" {}
    }

    service {
      name                = "api"
      port                = "http"
      tags                = ["v1", "public"]
      canary_tags         = ["canary"]
      enable_tag_override = true
      address_mode        = "alloc"
      provider            = "nomad"
      on_update           = "require_healthy"

      meta {
        version = "1"
      }
      canary_meta {
        version = "2"
      }
      tagged_addresses {
        lan = "10.0.0.1"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        method   = "POST"
        body     = "{\"check\":\"mem\"}"
        interval = "10s"
        timeout  = "2s"
        protocol = "https"
        tls_server_name = "api.internal"
        tls_skip_verify = true
        initial_status  = "passing"
        success_before_passing   = 2
        failures_before_critical = 3
        failures_before_warning  = 1

        header {
          Authorization = ["Bearer x"]
          X-Trace       = ["a", "b"]
        }

        check_restart {
          limit           = 3
          grace           = "90s"
          ignore_warnings = true
        }
      }

      check {
        type     = "grpc"
        port     = "grpc"
        interval = "5s"
        timeout  = "1s"
        grpc_service = "health.v1"
        grpc_use_tls = true
      }

      check {
        type     = "script"
        name     = "script"
        command  = "/bin/check"
        args     = ["--fast"]
        task     = "server"
        interval = "1m"
        timeout  = "10s"
        on_update = "ignore"
      }
    }

    task "server" {
      driver = "docker"

      service {
        name = "server-metrics"
        port = "http"
        weights {
          passing = 3
          warning = 1
        }
        check {
          type     = "tcp"
          interval = "15s"
          timeout  = "3s"
          expose   = false
          address_mode = "host"
        }
      }

      config {
        image = "api:1"
      }
    }
  }
}
