# Update, migrate, reschedule, restart, disconnect and ephemeral_disk at job and group level.
job "policies" {
  update {
    stagger           = "30s"
    max_parallel      = 2
    health_check      = "checks"
    min_healthy_time  = "10s"
    healthy_deadline  = "5m"
    progress_deadline = "10m"
    canary            = 1
    auto_revert       = true
    auto_promote      = false
  }

  migrate {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "15s"
    healthy_deadline = "1h30m"
  }

  reschedule {
    attempts       = 3
    interval       = "24h"
    delay          = "30s"
    delay_function = "exponential"
    max_delay      = "1h"
    unlimited      = false
  }

  group "g" {
    count                      = 3
    shutdown_delay             = "5s"
    max_run_duration           = "2h"
    prevent_reschedule_on_lost = true

    update {
      max_parallel = 1
      canary       = 0
    }

    reschedule {
      unlimited = true
      delay     = 1500000000
    }

    restart {
      attempts         = 10
      interval         = "30m"
      delay            = "15s"
      mode             = "fail"
      render_templates = true
    }

    disconnect {
      lost_after           = "1h"
      stop_on_client_after = "30m"
      replace              = true
      reconcile            = "keep_original"
    }

    ephemeral_disk {
      sticky  = true
      migrate = true
      size    = 500
    }

    task "t" {
      driver = "docker"
      restart {
        attempts = 1
        mode     = "delay"
      }
      config {
        image = "busybox"
      }
    }
  }
}
