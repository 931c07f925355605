# String functions.
job "functions-strings" {
  meta {
    format      = format("%s-%03d-%.1f-%t-%q", "web", 7, 2.25, true, "x")
    join        = join(",", ["a", "b"], ["c"])
    upper       = upper("shout")
    lower       = lower("QUIET")
    title       = title("hello nomad world")
    replace     = replace("a.b.c", ".", "/")
    replace_re  = replace("v1.2.3", "/[0-9]+/", "N")
    regex       = regex_replace("2024-01-02", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")
    trimspace   = trimspace("  padded  ")
    trim        = trim("--x--", "-")
    trimprefix  = trimprefix("nomad-job", "nomad-")
    trimsuffix  = trimsuffix("job.nomad.hcl", ".nomad.hcl")
    substr      = substr("hello world", 6, 5)
    strlen      = strlen("héllo")
    strrev      = strrev("abc")
    chomp       = chomp("line\n\n")
    indent      = indent(2, "a\nb")
    split_first = split(",", "x,y,z")[0]
  }

  group "g" {
    task "t" {
      driver = "exec"
      config {
        command    = "echo"
        formatlist = formatlist("%s=%s", ["a", "b"], ["1", "2"])
        split      = split("/", "usr/local/bin")
      }
    }
  }
}
