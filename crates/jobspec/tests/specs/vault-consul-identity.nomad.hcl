# A group vault block reaches tasks without their own; vault defaults; consul blocks;
# workload identities (the default one moves to Identity).
job "secrets" {
  group "g" {
    vault {
      policies      = ["app"]
      change_mode   = "signal"
      change_signal = "SIGUSR1"
    }

    consul {
      namespace = "apps"
      cluster   = "default"
    }

    task "inherits" {
      driver = "exec"
      config {
        command = "a"
      }
      identity {
        env  = true
        file = true
      }
      identity {
        name        = "vault_default"
        aud         = ["vault.io"]
        ttl         = "1h"
        change_mode = "restart"
      }
    }

    task "own" {
      driver = "exec"
      config {
        command = "b"
      }
      vault {
        role         = "own"
        namespace    = "ns1"
        cluster      = "secondary"
        env          = false
        disable_file = true
        allow_token_expiration = true
      }
      consul {
        partition = "p1"
      }
      identity {
        name = "default"
        aud  = ["nomad.io"]
      }
    }
  }
}
