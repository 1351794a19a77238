"""How good a model is: sample metrics (lessons 07, 09), paired comparisons over seeds, likelihood (13) and the
digits' scores (17).

The lessons call everything through helpers.name (helpers/__init__.py); docs/contributing.md maps each module."""
