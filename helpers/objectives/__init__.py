"""What training minimises, each an objective for helpers.train: lesson 06's denoising loss with lesson 08's draws
of steps and lesson 14's targets and weightings, lesson 16's distillation objectives and lesson 19's
masked-diffusion bound. Lesson 11's LabelDropout
(sampling/guidance.py), lesson 12's FlowLoss (process/flows.py) and lesson 17's Dequantised (data/digits.py) live
with the rest of their lessons.

The lessons call everything through helpers.name (helpers/__init__.py); docs/contributing.md maps each module."""
