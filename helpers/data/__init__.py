"""The data sets: lesson 01's S-curve and lesson 17's 8 x 8 digits.

The lessons call everything through helpers.name (helpers/__init__.py); docs/contributing.md maps each module."""
