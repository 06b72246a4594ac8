"""What eoscope publishes of a PyTorch model: an MLP in eoscope's own contract, or any module as TorchScript."""
import copy
import hashlib
import io
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

LOSSES = ("cross_entropy", "mse")
_ACTIVATIONS = {nn.Tanh: "tanh", nn.ReLU: "relu", nn.ELU: "elu", nn.GELU: "gelu"}

# How close the float32 trace must come to the float32 copy it traces. float32 keeps about 7 significant digits
# (eps 1.2e-7); the trace and the copy run the same kernels, so they agree to a few ulps, and 1e-4 relative leaves
# room for a different summation order. The absolute part is 1e-5 of the largest output magnitude (at least 1e-5):
# outputs near zero carry the rounding error of the large values they cancel from.
FLOAT32_RTOL = 1e-4
FLOAT32_ATOL = 1e-5


class PublisherError(Exception):
    """Bad input from the caller (found before anything is sent), or records Kafka did not acknowledge: the
    message says what is wrong, or what was lost."""


class DeliveryError(PublisherError):
    """Records of the run could not be delivered to Kafka within the delivery timeout: the run has a hole, so
    it is never published as finished. ``lost`` is the number of records lost."""

    def __init__(self, message, lost):
        super().__init__(message)
        self.lost = lost


@dataclass
class ModelDescription:
    """How a model travels: ``kind`` is ``mlp`` (docs/contracts.md#model-files: tensors layer{l}.weight/bias, every
    layerwise quantity) or ``torchscript`` (the module once per run, its parameters by name per snapshot). A
    TorchScript model is traced twice: ``module`` in float64, always, and ``module_float32`` in float32 for the
    analyzers' default precision, None when the float32 trace could not be made or does not match the model
    (``float32_failure`` says why; the analyzers then analyse the float64 module)."""

    kind: str
    classes: int
    input_shape: tuple
    names: dict = field(default_factory=dict)  # snapshot tensor name -> the model's parameter name
    activation: str = None
    widths: tuple = None
    module: bytes = None  # TorchScript bytes of the float64 trace (torchscript only)
    module_float32: bytes = None  # TorchScript bytes of the float32 trace (torchscript only, when it matches)
    float32_failure: str = None  # why there is no float32 trace (torchscript only)

    @property
    def module_hash(self):
        return hashlib.sha256(self.module).hexdigest() if self.module is not None else None

    @property
    def module_hash_float32(self):
        return hashlib.sha256(self.module_float32).hexdigest() if self.module_float32 is not None else None

    def architecture(self):
        if self.kind == "mlp":
            return "-".join(str(w) for w in self.widths)
        return "torchscript " + "x".join(str(s) for s in self.input_shape) + f" -> {self.classes}"


def describe(model, inputs):
    """The description of ``model`` on ``inputs`` ([N, ...] samples); raises PublisherError when it cannot be
    published: an output that is not [N, C] logits, or a module that torch.jit.trace cannot capture."""
    if not isinstance(model, nn.Module):
        raise PublisherError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    with torch.no_grad():
        try:
            out = model(inputs[:2])
        except Exception as e:  # the user's forward: any exception says the inputs do not fit
            raise PublisherError(f"the model cannot run on the inputs (shape {tuple(inputs.shape)}): {e}") from e
    if not isinstance(out, torch.Tensor) or out.dim() != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise PublisherError(f"the model must return logits of shape [N, C]; it returns {shape} for 2 samples")
    classes = int(out.shape[1])
    mlp = _as_mlp(model, inputs)
    if mlp is not None:
        widths, activation, names = mlp
        return ModelDescription("mlp", classes, tuple(inputs.shape[1:]), names, activation, widths)
    module = _trace(model, inputs)
    names = {n: n for n, _ in model.named_parameters()}
    if not names:
        raise PublisherError("the model has no parameters: there is no curvature to watch")
    try:
        module_float32, failure = _trace(model, inputs, torch.float32), None
    except PublisherError as e:  # not fatal: the analyzers analyse the float64 module instead
        module_float32, failure = None, str(e)
    return ModelDescription("torchscript", classes, tuple(inputs.shape[1:]), names, module=module,
                            module_float32=module_float32, float32_failure=failure)


def _as_mlp(model, inputs):
    """(widths, activation, names) when ``model`` is an nn.Sequential of nn.Linear layers with biases
    and one kind of supported activation between them, on [N, d] inputs; else None."""
    if not isinstance(model, nn.Sequential) or inputs.dim() != 2 or len(model) == 0 or len(model) % 2 != 1:
        return None
    linears = list(model)[0::2]
    acts = list(model)[1::2]
    if not all(type(m) is nn.Linear and m.bias is not None for m in linears):
        return None
    kinds = {type(a) for a in acts}
    if len(kinds) > 1 or (kinds and next(iter(kinds)) not in _ACTIVATIONS):
        return None
    if any(isinstance(a, nn.ELU) and a.alpha != 1.0 for a in acts):
        return None
    if any(isinstance(a, nn.GELU) and a.approximate != "none" for a in acts):
        return None
    widths = [linears[0].in_features] + [m.out_features for m in linears]
    if any(linears[i].out_features != linears[i + 1].in_features for i in range(len(linears) - 1)):
        return None
    activation = _ACTIVATIONS[next(iter(kinds))] if kinds else "tanh"  # one layer: no activation is used
    names = {}
    for l, i in enumerate(range(0, len(model), 2), start=1):
        names[f"layer{l}.weight"] = f"{i}.weight"
        names[f"layer{l}.bias"] = f"{i}.bias"
    return tuple(widths), activation, names


def _trace(model, inputs, dtype=torch.float64):
    """TorchScript bytes of a ``dtype`` (float64 or float32), eval-mode copy of ``model``, checked against that copy
    on ``inputs``: to 1e-9 in float64, to FLOAT32_RTOL/FLOAT32_ATOL in float32, where the output must also be
    float32 (a forward that makes float64 tensors of its own computes in float64 whatever it is traced in).
    Raises PublisherError saying why when it cannot be traced or its trace does not match."""
    copy_ = copy.deepcopy(model).to(dtype).eval()
    x = inputs.detach().to(dtype)
    precision = "" if dtype == torch.float64 else f"in {str(dtype).replace('torch.', '')} "
    try:
        with torch.no_grad():
            traced = torch.jit.trace(copy_, x[: min(len(x), 8)], check_trace=False)
            # the analyzers run it on batches of any size: check it on all inputs and on the last two alone
            checks = [(traced(b), copy_(b)) for b in (x, x[-2:])]
    except Exception as e:  # tracing runs the user's code: report whatever it raised
        raise PublisherError(f"the model cannot be traced {precision}(torch.jit.trace): {e}") from e
    if dtype == torch.float32:
        for got, _ in checks:
            if isinstance(got, torch.Tensor) and got.dtype != torch.float32:
                raise PublisherError(f"the model's trace in float32 returns {str(got.dtype).replace('torch.', '')} "
                                     "logits (its forward makes tensors of another precision)")
    if not all(isinstance(got, torch.Tensor) and got.shape == want.shape and got.dtype == want.dtype
               and _close(got, want, dtype) for got, want in checks):
        if dtype == torch.float32:
            raise PublisherError("the model's trace in float32 does not compute what the model computes in float32 "
                                 f"on the inputs (to {FLOAT32_RTOL:g} relative, {FLOAT32_ATOL:g} of the largest logit)")
        raise PublisherError("the traced model does not compute what the model computes on the inputs "
                             "(data-dependent control flow cannot be traced): watch it as an nn.Sequential or "
                             "make its forward free of Python branches on tensor values")
    buf = io.BytesIO()
    torch.jit.save(traced, buf)
    return buf.getvalue()


def _close(got, want, dtype):
    if dtype == torch.float64:
        return torch.allclose(got, want, rtol=1e-9, atol=1e-12)
    scale = max(1.0, float(want.abs().max())) if want.numel() else 1.0
    return torch.allclose(got, want, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL * scale)


def parameters(model, description):
    """The snapshot's tensors (name -> NumPy array in the model's precision, float32 or float64); raises
    PublisherError on a non-finite value, naming the parameter."""
    by_name = dict(model.named_parameters())
    out = {}
    for name, source in description.names.items():
        p = by_name.get(source)
        if p is None:
            raise PublisherError(f"the model has no parameter '{source}' any more (its structure changed after the Publisher was made)")
        out[name] = as_published(p, f"parameter '{source}'")
    return out


def as_published(t, what):
    """``t`` as a snapshot holds it: a NumPy array in float64 if it is float64, else float32; raises PublisherError
    on a non-finite value, naming ``what``."""
    t = t.detach().cpu()
    if t.dtype not in (torch.float32, torch.float64):
        t = t.to(torch.float32)
    a = t.numpy()
    if not np.isfinite(a).all():
        i = int(np.flatnonzero(~np.isfinite(a.ravel()))[0])
        raise PublisherError(f"{what} holds a non-finite value ({a.ravel()[i]} at flat index {i}): the snapshot is not sent")
    return a
