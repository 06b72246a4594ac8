"""PyTorch's own float64 reference: the Hessian, Gauss-Newton and residual products by double backward, and
Lanczos with full reorthogonalisation on them (independent of eoscope's Java solvers)."""
import torch
from torch.nn.utils import stateless


class Curvature:
    """𝓗, G and H = 𝓗 - G of the mean loss of ``model`` on (x, y), as products with flat vectors, in float64."""

    def __init__(self, model, x, y, loss):
        self.model = model.double()
        self.names = [n for n, _ in self.model.named_parameters()]
        self.theta = [p.detach().clone().requires_grad_(True) for p in self.model.parameters()]
        self.x, self.y, self.loss = x.double(), y, loss
        self.size = sum(t.numel() for t in self.theta)

    def logits(self):
        return stateless.functional_call(self.model, dict(zip(self.names, self.theta)), (self.x,))

    def objective(self, z):
        if self.loss == "cross_entropy":
            return torch.nn.functional.cross_entropy(z, self.y)
        return ((z - torch.nn.functional.one_hot(self.y, z.shape[1]).double()) ** 2).sum(1).mean()

    def _split(self, v):
        return [c.reshape(t.shape) for c, t in zip(torch.split(v, [t.numel() for t in self.theta]), self.theta)]

    def _flat(self, parts):
        return torch.cat([p.reshape(-1) for p in parts])

    def hessian(self, v):
        g = torch.autograd.grad(self.objective(self.logits()), self.theta, create_graph=True)
        return self._flat(torch.autograd.grad(g, self.theta, self._split(v)))

    def gauss_newton(self, v):
        z = self.logits()
        u = torch.zeros_like(z, requires_grad=True)
        jtu = torch.autograd.grad(z, self.theta, u, create_graph=True)
        jv = torch.autograd.grad(jtu, u, self._split(v))[0]  # J v, by the double-backward trick
        zd = z.detach()
        if self.loss == "cross_entropy":
            p = torch.softmax(zd, 1)
            sjv = p * jv - p * (p * jv).sum(1, keepdim=True)
        else:
            sjv = 2 * jv
        return self._flat(torch.autograd.grad(z, self.theta, sjv / len(zd)))

    def residual(self, v):
        return self.hessian(v) - self.gauss_newton(v)

    def loss_value(self):
        with torch.no_grad():
            return self.objective(self.logits()).item()


def top_eigenvalue(product, size, seed=0, tol=1e-13):
    """The eigenvalue of largest magnitude of a symmetric operator, by Lanczos with full reorthogonalisation,
    iterated until the Ritz value settles to ``tol`` relative (at most ``size`` steps)."""
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(size, dtype=torch.float64, generator=g)
    qs = [q / q.norm()]
    alphas, betas = [], []
    last = None
    for k in range(size):
        w = product(qs[-1])
        alphas.append(torch.dot(w, qs[-1]).item())
        basis = torch.stack(qs)
        w = w - basis.T @ (basis @ w)
        w = w - basis.T @ (basis @ w)
        t = torch.diag(torch.tensor(alphas, dtype=torch.float64))
        for i, b in enumerate(betas):
            t[i, i + 1] = t[i + 1, i] = b
        ritz = torch.linalg.eigvalsh(t)
        top = ritz[torch.argmax(ritz.abs())].item()
        beta = w.norm().item()
        if (last is not None and abs(top - last) <= tol * abs(top)) or beta < 1e-14 * max(1.0, abs(top)):
            return top
        last = top
        betas.append(beta)
        qs.append(w / beta)
    return last
