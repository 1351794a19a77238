"""The diffusion process itself: the noise schedule (lesson 02), the forward process (03, 04), what a network
may predict and the maps between (14), flow matching's straight path (12), and diffusion on tokens (19).

The lessons call everything through helpers.name (helpers/__init__.py); docs/contributing.md maps each module."""
