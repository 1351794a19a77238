"""Exact answers: the optimal denoiser of the S-curve and of any finite training set (lesson 09), and the exact
posterior of a linear measurement of either (lesson 18), and the exact reverse process of masked diffusion on a finite
set (19).

The lessons call everything through helpers.name (helpers/__init__.py); docs/contributing.md maps each module."""
