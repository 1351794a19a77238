"""The networks and their weights: lesson 05's MLP, EDM's preconditioning (14), the fast evaluator (15), checkpoints
(08), the predictor of clean tokens (19), the U-Net and the DiT (20).

The lessons call everything through helpers.name (helpers/__init__.py); docs/contributing.md maps each module."""
