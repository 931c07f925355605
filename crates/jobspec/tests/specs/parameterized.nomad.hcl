# A dispatchable job with its payload written to a file.
job "encoder" {
  type = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["input"]
    meta_optional = ["profile", "quality"]
  }

  group "encode" {
    task "ffmpeg" {
      driver = "docker"

      dispatch_payload {
        file = "job.json"
      }

      config {
        image = "ffmpeg:6"
        args  = ["-i", "${NOMAD_META_input}", "-preset", "${NOMAD_META_profile}"]
      }
    }
  }
}
