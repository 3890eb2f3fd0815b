import os

from hypothesis import settings

# In CI every property test draws the same examples, so a run cannot fail by
# chance; locally they explore new examples each time.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
