# A periodic batch job: the cron spec makes SpecType "cron".
job "nightly" {
  type = "batch"

  periodic {
    cron             = "0 3 * * *"
    time_zone        = "Europe/Berlin"
    prohibit_overlap = true
    enabled          = true
  }

  group "report" {
    task "run" {
      driver = "exec"
      config {
        command = "/usr/local/bin/report"
      }
    }
  }
}
