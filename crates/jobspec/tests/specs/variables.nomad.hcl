# Typed variables with defaults and validation. Values come from, in increasing precedence:
# defaults, NOMAD_VAR_ environment entries, var files, -var flags (see the options file).
variable "datacenters" {
  type        = list(string)
  description = "Where the job runs."
  default     = ["dc1"]
}

variable "count" {
  type    = number
  default = 1
  validation {
    condition     = var.count > 0 && var.count <= 10
    error_message = "The count must be between 1 and 10."
  }
}

variable "image" {
  type = string
}

variable "debug" {
  type    = bool
  default = false
}

variable "ports" {
  type = map(number)
  default = {
    http = 8080
  }
}

variable "settings" {
  type = object({
    tier    = string
    retries = optional(number)
  })
  default = {
    tier = "bronze"
  }
}

variable "from_env" {
  default = "unset"
}

job "variables" {
  datacenters = var.datacenters

  meta {
    tier     = var.settings.tier
    retries  = var.settings.retries == null ? "none" : var.settings.retries
    from_env = var.from_env
    debug    = var.debug
  }

  group "g" {
    count = var.count

    network {
      port "http" {
        static = var.ports.http
      }
    }

    task "t" {
      driver = "docker"
      config {
        image = var.image
        args  = var.debug ? ["--debug"] : []
      }
    }
  }
}
