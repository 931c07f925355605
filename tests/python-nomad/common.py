"""Settings python-nomad's tests import as `tests.common` (the sdist does not ship this file)."""
import os

IP = os.environ.get("NOMAD_IP", "127.0.0.1")
NOMAD_PORT = os.environ.get("NOMAD_PORT", 4646)
NOMAD_TOKEN = os.environ.get("NOMAD_TOKEN", None)
# Only the mocked (`responses`) tests use it.
NOMAD_NAMESPACE = "admin"
