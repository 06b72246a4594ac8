"""What eoscope publishes of a ``torch.optim`` optimizer with each snapshot: its settings and its state, as
docs/science.md#other-optimizers describes them and the Java side reads them (``OptimizerSettings.fromMetadata``,
``OptimizerState``): metadata ``optimizer``, ``lr``, ``momentum``, ``beta1``, ``beta2``, ``eps``, ``weight_decay``
(only those the update rule uses) and ``optimizer_step``; tensors ``optimizer.<buffer>.<parameter>`` with PyTorch's
buffer names, each the shape and dtype of its parameter in the snapshot."""
import functools
import math
import types

import numpy as np
import torch

from .model import PublisherError, as_published

PREFIX = "optimizer."
BUFFERS = {"gd": (), "momentum": ("momentum_buffer",), "nesterov": ("momentum_buffer",), "rmsprop": ("square_avg",),
           "adam": ("exp_avg", "exp_avg_sq"), "adamw": ("exp_avg", "exp_avg_sq")}
_CLASSES = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop)


class WatchedOptimizer:
    """A ``torch.optim`` SGD (plain, momentum or Nesterov), RMSprop, Adam or AdamW whose settings and state go
    with every snapshot. Made once per run: it refuses, with a PublisherError naming the setting, what eoscope
    cannot describe. Its settings are read again, and checked again, at each snapshot, so that an LR scheduler
    (or anything else that changes ``param_groups``) is followed."""

    def __init__(self, optimizer, model, names):
        """``names`` maps each snapshot tensor name to the model's parameter name (``layer1.weight`` -> ``0.weight``)."""
        if type(optimizer) not in _CLASSES:
            raise PublisherError(f"optimizer {type(optimizer).__module__}.{type(optimizer).__qualname__} is not one that "
                                 "eoscope describes (torch.optim.SGD, Adam, AdamW or RMSprop, not a subclass)")
        self.optimizer = optimizer
        by_name = dict(model.named_parameters())
        self.parameters = {snapshot: by_name[source] for snapshot, source in names.items()}
        held = {id(p) for g in optimizer.param_groups for p in g["params"]}
        for snapshot, source in names.items():
            if id(self.parameters[snapshot]) not in held:
                raise PublisherError(f"optimizer: it does not hold the model's parameter '{source}' (shape "
                                     f"{tuple(self.parameters[snapshot].shape)}): eoscope's curvature is over every "
                                     "parameter the optimizer steps, so it must hold all of the model's and no other")
        ours = {id(p) for p in self.parameters.values()}
        for g in optimizer.param_groups:
            for p in g["params"]:
                if id(p) not in ours:
                    raise PublisherError(f"optimizer: it holds a parameter of shape {tuple(p.shape)} that is not one of "
                                         "the model's: eoscope's curvature is over the model's parameters only")
        self.kind = self.settings("at the start")["optimizer"]
        self._steps = 0  # optimizer.step() calls seen (SGD keeps no step count of its own)
        self._last_lr = None  # the step size of the last step seen
        self._unhook = _after_each_step(optimizer, self._stepped)

    def _stepped(self):
        self._steps += 1
        self._last_lr = self.current_lr()

    def close(self):
        """Stops counting steps, where PyTorch lets a hook be removed (torch ≥ 2.0)."""
        if self._unhook is not None:
            self._unhook()
            self._unhook = None

    def current_lr(self):
        """The step size of parameter group 0 now (that of the next step), unchecked."""
        lr = self.optimizer.param_groups[0]["lr"]
        return lr.item() if isinstance(lr, torch.Tensor) and lr.numel() == 1 else lr

    def last_step_size(self):
        """The step size of the last step taken (read as it was taken, before an LR scheduler changes it for the
        next), or the current one before any step was seen."""
        return self._last_lr if self._steps else self.current_lr()

    def settings(self, when):
        """The settings now, as numbers by their metadata names (``optimizer`` the kind), checked as
        ``OptimizerSettings`` checks them; ``when`` says when, in the message of a refusal."""
        groups = self.optimizer.param_groups
        first = groups[0]
        for i, g in enumerate(groups[1:], start=1):
            for key in sorted(set(first) | set(g)):
                if key != "params" and not _same(first.get(key), g.get(key)):
                    raise PublisherError(f"optimizer: parameter groups 0 and {i} differ in {key} ({first.get(key)!r} vs "
                                         f"{g.get(key)!r}) {when}: eoscope describes one setting for all parameters")
        torch_name = type(self.optimizer).__name__
        g = first
        if g.get("maximize", False):
            raise PublisherError(f"optimizer: {torch_name}'s maximize=True is not supported: eoscope watches a loss "
                                 "being minimised")
        lr = _lr(g.get("lr"), when)
        out = {"optimizer": None, "lr": lr}
        if torch_name == "SGD":
            if g.get("dampening", 0) != 0:
                raise PublisherError(f"optimizer: SGD's dampening={g['dampening']!r} is not supported (dampening 0 "
                                     "only: heavy-ball b ← βb + g)")
            _no_weight_decay(torch_name, g)
            momentum = _number(g.get("momentum", 0), "momentum", when)
            if momentum == 0:
                out["optimizer"] = "gd"
            else:
                if not 0 < momentum < 1:
                    raise PublisherError(f"optimizer: SGD's momentum must be in (0, 1), got {momentum!r} {when}")
                out["optimizer"] = "nesterov" if g.get("nesterov", False) else "momentum"
                out["momentum"] = momentum
        elif torch_name == "RMSprop":
            if g.get("centered", False):
                raise PublisherError("optimizer: RMSprop's centered=True is not supported (its preconditioner uses the "
                                     "running mean of g as well; eoscope describes centered=False)")
            if g.get("momentum", 0) != 0:
                raise PublisherError(f"optimizer: RMSprop's momentum={g['momentum']!r} is not supported (momentum 0 "
                                     "only)")
            _no_weight_decay(torch_name, g)
            out["optimizer"] = "rmsprop"
            out["beta2"] = _unit(g.get("alpha"), "alpha", when)
            out["eps"] = _eps(g.get("eps"), when)
        else:
            if g.get("amsgrad", False):
                raise PublisherError(f"optimizer: {torch_name}'s amsgrad=True is not supported (its preconditioner is "
                                     "the running maximum of v; eoscope describes amsgrad=False)")
            decoupled = torch_name == "AdamW" or g.get("decoupled_weight_decay", False)
            if not decoupled:
                _no_weight_decay(torch_name, g)
            betas = g.get("betas")
            if not isinstance(betas, (tuple, list)) or len(betas) != 2:
                raise PublisherError(f"optimizer: {torch_name}'s betas must be two numbers, got {betas!r} {when}")
            out["optimizer"] = "adamw" if decoupled else "adam"
            out["beta1"] = _unit(betas[0], "betas[0] (β1)", when)
            out["beta2"] = _unit(betas[1], "betas[1] (β2)", when)
            out["eps"] = _eps(g.get("eps"), when)
            if decoupled:
                wd = _number(g.get("weight_decay", 0), "weight_decay", when)
                if not wd >= 0:
                    raise PublisherError(f"optimizer: {torch_name}'s weight_decay must be ≥ 0, got {wd!r} {when}")
                out["weight_decay"] = wd
        return out

    def step(self):
        """The number of steps taken: Adam's own count from its state (one count for every parameter, else
        refused: each parameter would have its own bias correction); RMSprop's from its state (the largest);
        for SGD, which keeps none, the optimizer.step() calls since the Publisher was made."""
        if self.kind in ("gd", "momentum", "nesterov"):
            return self._steps
        counts = {}
        for snapshot, p in self.parameters.items():
            s = self.optimizer.state.get(p, {}).get("step", 0)
            counts[snapshot] = int(s.item() if isinstance(s, torch.Tensor) else s)
        if self.kind == "rmsprop":
            return max(counts.values())
        if len(set(counts.values())) > 1:
            (a, ta), (b, tb) = min(counts.items(), key=lambda e: e[1]), max(counts.items(), key=lambda e: e[1])
            raise PublisherError(f"optimizer: Adam has taken {ta} steps for parameter '{a}' and {tb} for '{b}' (a "
                                 "parameter without a gradient is not stepped): one snapshot describes one step count")
        return next(iter(counts.values()))

    def describe(self, published, when):
        """(metadata, tensors) of the optimizer for a snapshot whose parameters are ``published`` (NumPy arrays by
        snapshot name). The metadata are exactly the keys of ``OptimizerSettings.metadata()`` for the kind, each
        number as Python's shortest round-trip decimal (Java parses it with Double.parseDouble), and
        ``optimizer_step``. The tensors are ``optimizer.<buffer>.<parameter>``, each with the dtype and shape of
        its parameter in ``published``; zeros where the optimizer has no state yet (before its first step:
        PyTorch starts every buffer at zero, so that is its state exactly). ``when`` says when, in the message of
        a refusal; a non-finite value is refused too."""
        s = self.settings(when)
        self.kind = s.pop("optimizer")
        meta = {"optimizer": self.kind}
        meta.update({k: repr(v) for k, v in s.items()})
        meta["optimizer_step"] = str(self.step())
        tensors = {}
        for buffer in BUFFERS[self.kind]:
            for snapshot, p in self.parameters.items():
                name = f"{PREFIX}{buffer}.{snapshot}"
                t = self.optimizer.state.get(p, {}).get(buffer)
                a = np.zeros_like(published[snapshot]) if t is None else as_published(t, f"optimizer state '{name}'")
                if a.shape != published[snapshot].shape or a.dtype != published[snapshot].dtype:
                    raise PublisherError(f"optimizer state '{name}' is {a.dtype} {a.shape}, its parameter "
                                         f"{published[snapshot].dtype} {published[snapshot].shape}")
                tensors[name] = a
        return meta, tensors


def _after_each_step(optimizer, stepped):
    """Calls ``stepped`` after each optimizer.step(); returns what removes the hook, or None where it stays."""
    if hasattr(optimizer, "register_step_post_hook"):  # torch ≥ 2.0
        return optimizer.register_step_post_hook(lambda *_: stepped()).remove
    inner = optimizer.step  # torch 1.13: wrapped as a bound method, as torch's LR schedulers wrap it

    @functools.wraps(inner)
    def step(self, *args, **kwargs):
        out = inner(*args, **kwargs)
        stepped()
        return out

    optimizer.step = types.MethodType(step, optimizer)
    return None


def _same(a, b):
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    return a == b


def _number(v, name, when):
    if isinstance(v, torch.Tensor) and v.numel() == 1:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise PublisherError(f"optimizer: {name} must be a finite number, got {v!r} {when}")
    return float(v)


def _lr(v, when):
    lr = _number(v, "lr", when)
    if not lr > 0:
        raise PublisherError(f"optimizer: lr is {lr!r} {when}; the stability threshold needs a positive step size "
                             "(an LR scheduler that anneals to 0 reaches it at its end)")
    return lr


def _unit(v, name, when):
    x = _number(v, name, when)
    if not 0 <= x < 1:
        raise PublisherError(f"optimizer: {name} must be in [0, 1), got {x!r} {when}")
    return x


def _eps(v, when):
    x = _number(v, "eps", when)
    if not x > 0:
        raise PublisherError(f"optimizer: eps must be positive, got {x!r} {when}")
    return x


def _no_weight_decay(torch_name, g):
    if g.get("weight_decay", 0) != 0:
        raise PublisherError(f"optimizer: {torch_name}'s weight_decay={g['weight_decay']!r} is not supported: it adds "
                             "an L2 term to the loss whose curvature is measured (use AdamW for decoupled decay)")
