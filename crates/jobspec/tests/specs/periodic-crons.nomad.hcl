job "twice-daily" {
  type = "sysbatch"

  periodic {
    crons = ["0 6 * * *", "0 18 * * *"]
  }

  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "cleanup"
      }
    }
  }
}
