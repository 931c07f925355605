# Multiregion deployment data and the job UI block.
job "global" {
  multiregion {
    strategy {
      max_parallel = 1
      on_failure   = "fail_all"
    }
    region "west" {
      count       = 2
      datacenters = ["west-1"]
      node_pool   = "default"
      meta {
        region_code = "w"
      }
    }
    region "east" {
      count       = 1
      datacenters = ["east-1", "east-2"]
    }
  }

  ui {
    description = "A **global** job"
    link {
      label = "Runbook"
      url   = "https://runbooks.example.com/global"
    }
  }

  group "g" {
    count = 0
    task "t" {
      driver = "exec"
      config {
        command = "run"
      }
    }
  }
}
