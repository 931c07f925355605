# Constraint and affinity shorthands, and spreads.
job "placement" {
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  constraint {
    distinct_hosts = true
  }
  constraint {
    attribute = "${attr.nomad.version}"
    version   = ">= 1.8"
  }
  constraint {
    attribute = "${attr.os.version}"
    semver    = "~> 22.04"
  }
  constraint {
    attribute = "${attr.unique.hostname}"
    regexp    = "^web-[0-9]+$"
  }
  constraint {
    attribute    = "${meta.tags}"
    set_contains = "ssd,nvme"
  }
  constraint {
    attribute = "${meta.rack}"
    operator  = "is_set"
  }

  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 50
  }
  affinity {
    attribute        = "${meta.zones}"
    set_contains_any = "a,b"
    weight           = -20
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 100
    target "dc1" {
      percent = 70
    }
    target "dc2" {
      percent = 30
    }
  }

  group "g" {
    constraint {
      distinct_property = "${meta.rack}"
      value             = "2"
    }
    constraint {
      operator = "distinct_hosts"
      value    = "false"
    }
    affinity {
      attribute = "${attr.cpu.arch}"
      regexp    = "arm"
      weight    = 10
    }
    spread {
      attribute = "${meta.rack}"
    }
    task "t" {
      driver = "raw_exec"
      constraint {
        attribute = "${attr.driver.docker}"
        operator  = "!="
        value     = "false"
      }
      affinity {
        attribute = "${attr.cpu.numcores}"
        operator  = ">="
        value     = "8"
        weight    = 100
      }
      config {
        command = "true"
      }
    }
  }
}
