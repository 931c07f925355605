{
  "Job": {
    "ID": "from-json",
    "Name": "from-json",
    "Type": "batch",
    "Datacenters": ["dc1"],
    "TaskGroups": [
      {
        "Name": "g",
        "Count": 1,
        "Tasks": [
          {
            "Name": "t",
            "Driver": "exec",
            "Config": { "command": "true" },
            "KillTimeout": 5000000000
          }
        ]
      }
    ]
  }
}
