# CSI plugins, task actions, task schedules and secrets.
job "task-extras" {
  group "plugins" {
    secret "group-secret" {
      provider = "nomad"
      path     = "shared/creds"
    }

    task "plugin" {
      driver = "docker"
      config {
        image      = "csi-driver:1"
        privileged = true
      }

      csi_plugin {
        id                     = "aws-ebs"
        type                   = "monolith"
        mount_dir              = "/csi"
        stage_publish_base_dir = "/local/csi"
        health_timeout         = "1m"
      }

      action "echo-time" {
        command = "/bin/sh"
        args    = ["-c", "date"]
      }

      schedule {
        cron {
          start    = "0 9 * * mon-fri"
          end      = "0 17"
          timezone = "America/New_York"
        }
      }

      secret "task-secret" {
        provider = "vault"
        path     = "kv/task"
        config {
          engine = "kv_v2"
        }
        env {
          TOKEN_FIELD = "token"
        }
      }
    }
  }
}
