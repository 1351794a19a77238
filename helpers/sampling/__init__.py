"""From noise to data: lesson 07's ancestral sampler, the one loop every sampler runs (grid.py), DDIM's update
(10), the samplers on any grid (10), the fast solvers (15), guidance (11) and
posterior sampling for inverse problems (18), and unmasking tokens (19).

The lessons call everything through helpers.name (helpers/__init__.py); docs/contributing.md maps each module."""
