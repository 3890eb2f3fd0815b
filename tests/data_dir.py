"""Pytest plugin loaded with `-p` before pytest-django reads the settings:
every test run gets its own throw-away DATA_DIR, so the key pair and
databases of a test run are never those of the developer's own instance."""

import os
import tempfile

os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="calendar-p2p-test-")
os.environ.setdefault("INSTANCE_NAME", "test-instance")
