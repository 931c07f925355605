# Task lifecycle hooks, logs, kill settings, users and leaders.
job "task-settings" {
  group "g" {
    task "init" {
      driver = "exec"
      lifecycle {
        hook    = "prestart"
        sidecar = false
      }
      config {
        command = "setup"
      }
    }

    task "proxy" {
      driver = "exec"
      lifecycle {
        hook    = "poststart"
        sidecar = true
      }
      config {
        command = "proxy"
      }
    }

    task "main" {
      driver         = "exec"
      user           = "nobody"
      leader         = true
      kill_timeout   = "45s"
      kill_signal    = "SIGINT"
      shutdown_delay = "2s"
      kind           = "connect-native:main"

      logs {
        max_files     = 5
        max_file_size = 20
        disabled      = false
      }

      config {
        command = "main"
      }
    }

    task "cleanup" {
      driver = "exec"
      lifecycle {
        hook = "poststop"
      }
      config {
        command = "cleanup"
      }
    }
  }
}
