# Operators, conditionals, for expressions, splats, heredocs, template directives and escapes.
locals {
  servers = [
    { name = "a", port = 80, enabled = true },
    { name = "b", port = 81, enabled = false },
    { name = "c", port = 80, enabled = true },
  ]
}

job "expressions" {
  priority = 10 * 5 + 100 / 4 - 7 % 4 - 15

  meta {
    arithmetic  = 1.5 * 4
    compare     = 3 >= 2 && !(1 == 2) || false
    conditional = length(local.servers) > 2 ? "many" : "few"
    escapes     = "literal $${NOT_A_VAR} and %%{ not_a_directive }"
    directive   = "%{ for s in local.servers ~}${s.name}%{ if s.enabled }+%{ else }-%{ endif }%{ endfor ~}"
    stripped    = "a ${~ " b " ~} c"
    heredoc     = <<EOT
first line
  second line
EOT
    dedented = <<-EOT
      indented
        more
      EOT
  }

  group "g" {
    task "t" {
      driver = "exec"
      config {
        command  = "run"
        names    = local.servers[*].name
        legacy   = local.servers.*.port
        enabled  = [for s in local.servers : s.name if s.enabled]
        by_port  = { for s in local.servers : s.port => s.name... }
        by_name  = { for i, s in local.servers : s.name => i }
        nested   = [[1, 2], [3]][1][0]
        object   = { a = { b = "c" } }
        negative = -5
      }
    }
  }
}
