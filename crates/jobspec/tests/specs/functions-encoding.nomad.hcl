# Encoding, hashing, network, date and numeric functions, plus try, can and convert.
# uuidv4 draws from the seed in the options file.
job "functions-encoding" {
  meta {
    json      = jsonencode({ b = [1, "<2>"], a = true })
    from_json = jsondecode("{\"name\": \"x\"}").name
    b64       = base64encode("nomad")
    unb64     = base64decode("bm9tYWQ=")
    url       = urlencode("a b&c")
    md5       = md5("nomad")
    sha1      = sha1("nomad")
    sha256    = sha256("nomad")
    sha512    = substr(sha512("nomad"), 0, 16)
    uuidv5    = uuidv5("dns", "nomad.example.com")
    uuidv4    = uuidv4()
    host      = cidrhost("10.0.0.0/16", 5)
    netmask   = cidrnetmask("10.0.0.0/12")
    subnet    = cidrsubnet("10.0.0.0/16", 8, 2)
    date      = formatdate("YYYY-MM-DD hh:mm", "2024-02-29T13:45:00Z")
    later     = timeadd("2024-02-29T13:45:00Z", "36h")
    abs       = abs(-4)
    ceil      = ceil(4.1)
    floor     = floor(4.9)
    log       = log(100, 10)
    max       = max(1, 5, 3)
    min       = min(1, 5, 3)
    parseint  = parseint("ff", 16)
    pow       = pow(2, 8)
    signum    = signum(-3)
    try       = try(local.missing, "fallback")
    can       = can(parseint("x", 10))
    converted = convert("5", number) + 1
  }

  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "echo"
        csv     = csvdecode("name,port\nweb,80\ndb,5432\n")
        subnets = cidrsubnets("10.1.0.0/16", 4, 4, 8)
        list    = convert(["a", "a"], set(string))
      }
    }
  }
}
