# Templates: defaults filled in as Nomad does, heredocs, change scripts and wait bounds.
job "templates" {
  group "g" {
    task "app" {
      driver = "docker"
      config {
        image = "app"
      }

      template {
        data        = <<-EOT
          PORT={{ env "NOMAD_PORT_http" }}
          DIR=${NOMAD_TASK_DIR}
          EOT
        destination = "local/app.env"
        env         = true
      }

      template {
        source          = "local/config.tpl"
        destination     = "${NOMAD_SECRETS_DIR}/config.json"
        change_mode     = "signal"
        change_signal   = "SIGHUP"
        splay           = "10s"
        perms           = "0600"
        uid             = 1000
        gid             = 1000
        left_delimiter  = "[["
        right_delimiter = "]]"
        vault_grace     = "15s"
        error_on_missing_key = true
        once            = false

        wait {
          min = "2s"
          max = "10s"
        }
      }

      template {
        data        = "reload me"
        destination = "local/reload"
        change_mode = "script"
        change_script {
          command       = "/local/reload.sh"
          fail_on_error = true
        }
      }
    }
  }
}
