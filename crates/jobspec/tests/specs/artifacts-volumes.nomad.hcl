# Artifacts, host and CSI volumes, and their mounts.
job "storage" {
  group "db" {
    volume "data" {
      type      = "host"
      source    = "pg-data"
      read_only = false
      sticky    = true
    }

    volume "shared" {
      type            = "csi"
      source          = "efs"
      access_mode     = "multi-node-multi-writer"
      attachment_mode = "file-system"
      per_alloc       = true
      mount_options {
        fs_type     = "ext4"
        mount_flags = ["noatime"]
      }
    }

    task "postgres" {
      driver = "docker"
      config {
        image = "postgres:16"
      }

      volume_mount {
        volume           = "data"
        destination      = "/var/lib/postgresql/data"
        read_only        = false
        propagation_mode = "private"
        selinux_label    = "Z"
      }

      artifact {
        source      = "https://example.com/init.tar.gz"
        destination = "local/init"
        mode        = "dir"
        insecure    = false
        chown       = true
        options {
          checksum = "sha256:abc123"
        }
        headers {
          User-Agent = "nomad"
        }
      }

      artifact {
        source = "git::https://example.com/repo.git"
      }
    }
  }
}
