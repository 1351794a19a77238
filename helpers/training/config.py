"""What decides a training run: TrainConfig, the reference recipe and the course's default (lesson 08), and what the
network predicts and how the loss is weighted (lesson 14)."""

from dataclasses import asdict, dataclass

from .._checks import check_float, check_int
from ..objectives.weighting import WEIGHTINGS
from ..sampling.ancestral import SIGMAS

LR_SCHEDULES = ("constant", "cosine")
# What the forward pass and the loss compute in (lesson 22): bfloat16 by torch.autocast, the weights, gradients, Adam's
# moments and the EMA staying float32. float16 would need a loss scaler (torch.amp.GradScaler) that the course has not.
PRECISIONS = ("float32", "bfloat16")
# What the network outputs (lesson 14): "edm" is an x0-prediction through EDM's preconditioning (helpers.Preconditioned).
TRAINING_TARGETS = ("eps", "x0", "v", "edm")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run, and the reverse-step variance sigma its network is sampled with.

    t_power = 1 draws the loss's steps uniformly (antithetic pairs, lesson 06); t_power = p > 1 draws
    t = floor(T u^p), u ~ U[0, 1), which favours the steps nearest the data. Defined in lesson 08 (training).
    target (what the network outputs) and weighting (the loss's weight per step, helpers.loss_weights) are lesson 14's:
    "edm" trains an x0-prediction through EDM's preconditioning and needs scaled_input=True (its c_in is lesson 08's).
    accumulate (micro-batches per step, gradients summed before the update) and precision (the forward pass and loss
    under torch.autocast) are lesson 22's; batch_size is the whole step's batch, over every micro-batch and process.
    """

    steps: int = 3000
    batch_size: int = 128
    lr: float = 1e-3
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    clip_norm: float = 1.0
    ema_decay: float = 0.0
    hidden: int = 128
    scaled_input: bool = False
    t_power: float = 1.0
    sigma: str = "beta"
    seed: int = 0
    target: str = "eps"
    weighting: str = "own"
    accumulate: int = 1
    precision: str = "float32"

    def __post_init__(self):
        check_int("steps", self.steps, 1)
        check_int("batch_size", self.batch_size, 1)
        check_float("lr", self.lr, 0.0, float("inf"))
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {list(LR_SCHEDULES)}, got {self.lr_schedule!r}")
        check_int("warmup_steps", self.warmup_steps, 0, self.steps + 1)
        check_float("clip_norm", self.clip_norm, 0.0, float("inf"))
        check_float("ema_decay", self.ema_decay, 0.0, 1.0, low_open=False)
        check_int("hidden", self.hidden, 1)
        if not isinstance(self.scaled_input, bool):
            raise TypeError(f"scaled_input must be a bool, got {type(self.scaled_input).__name__}")
        check_float("t_power", self.t_power, 1.0, float("inf"), low_open=False)
        if self.sigma not in SIGMAS:
            raise ValueError(f"sigma must be one of {list(SIGMAS)}, got {self.sigma!r}")
        check_int("seed", self.seed, 0, 2**63)
        if self.target not in TRAINING_TARGETS:
            raise ValueError(f"target must be one of {list(TRAINING_TARGETS)}, got {self.target!r}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {list(WEIGHTINGS)}, got {self.weighting!r}")
        check_int("accumulate", self.accumulate, 1)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {self.precision!r}")
        if self.target == "edm" and not self.scaled_input:
            raise ValueError("target 'edm' scales the network's inputs by EDM's c_in, which is lesson 08's input "
                             "scaling: set scaled_input=True")

    @property
    def loss_weighting(self):
        """The weighting train uses: "own" for target "edm" is EDM's lambda(sigma), unit weight on the raw output."""
        return "edm" if self.target == "edm" and self.weighting == "own" else self.weighting

    @property
    def predicts(self):
        """What the trained network's output is: the target, with "edm" an x0-prediction (helpers.AsEps reads it)."""
        return "x0" if self.target == "edm" else self.target

    def as_dict(self):
        return asdict(self)


# The reference recipe: 4000 epochs of 79 shuffled batches of 128 (the last one of 16), Adam at 1e-3.
REFERENCE = TrainConfig(steps=4000 * 79, batch_size=128, lr=1e-3)

# The course's default: the same network, trained on 8x larger batches at a 10x higher peak learning rate
# with warm-up and cosine decay, inputs scaled to unit variance, an EMA of the weights and steps drawn mostly
# near the data, then sampled with sigma^2 = beta_tilde (lesson 08).
DEFAULT = TrainConfig(
    steps=1500, batch_size=1024, lr=1e-2, lr_schedule="cosine", warmup_steps=100, ema_decay=0.995, scaled_input=True,
    t_power=3.0, sigma="beta_tilde",
)
