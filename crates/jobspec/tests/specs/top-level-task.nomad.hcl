# A task directly under the job becomes a group of its own, placed before the declared groups;
# job-level vault and secret blocks reach every task.
job "top-level-task" {
  datacenters = ["dc1", "dc2"]
  namespace   = "apps"
  region      = "eu"
  priority    = 70
  all_at_once = true
  node_pool   = "gpu"

  vault {
    policies = ["read-app"]
  }

  secret "db" {
    provider = "vault"
    path     = "secret/db"
  }

  task "solo" {
    driver = "exec"
    config {
      command = "/bin/sleep"
      args    = ["3600"]
    }
  }

  group "web" {
    task "server" {
      driver = "exec"
      vault {
        role = "web"
      }
      config {
        command = "/bin/server"
      }
    }
  }
}
