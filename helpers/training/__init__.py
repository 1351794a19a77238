"""One training loop for every objective, and the configs that decide a run (lesson 08).

The lessons call everything through helpers.name (helpers/__init__.py); docs/contributing.md maps each module."""
