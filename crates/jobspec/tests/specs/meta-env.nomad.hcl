# meta and env as blocks or as attribute maps (which allow keys with dots); values become
# strings.
job "meta-env" {
  meta {
    owner   = "team-a"
    version = 3
  }

  group "g" {
    meta = {
      "com.example.tier" = "gold"
      enabled            = true
    }

    task "t" {
      driver = "exec"
      config {
        command = "env"
      }
      env {
        LOG_LEVEL = "debug"
        WORKERS   = 4
        RATIO     = 0.75
      }
      meta = {
        "dotted.key" = "v"
      }
    }

    task "u" {
      driver = "exec"
      config {
        command = "env"
      }
      env = { for k in ["A", "B"] : k => lower(k) }
    }
  }
}
