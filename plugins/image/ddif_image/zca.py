"""ZCA whitening of images (as the trajectory-matching literature applies it to CIFAR with Kornia).

Fitted on the training images as [0, 1] pixels (not mean/std-normalised: the space MTT and the DDiF
authors whiten in, with kornia's ``ZCAWhitening(eps=0.1)``), flattened to D = C*H*W values: with the covariance
``X_c^T X_c / (N - 1) = U diag(S) U^T`` of the centred data, whitening is ``(x - mean) @ W`` with
``W = U diag(1 / sqrt(S + eps)) U^T`` and the inverse is ``y @ W_inv + mean`` with
``W_inv = U diag(sqrt(S + eps)) U^T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ddif_core import ConfigError

#: Largest D for which a D x D whitening matrix is fitted (CIFAR is 3,072; ImageNet-128 would be 49,152).
MAX_ZCA_VALUES = 4096


@dataclass
class ZCA:
    """A fitted whitening: mean (D,), matrix (D, D) and its inverse (D, D)."""

    mean: torch.Tensor
    matrix: torch.Tensor
    inverse: torch.Tensor

    @classmethod
    def fit(cls, x: torch.Tensor, eps: float = 0.1) -> "ZCA":
        """Fit on x (N, C, H, W) (in float64 for a stable eigendecomposition)."""
        flat = x.reshape(x.shape[0], -1).double()
        d = flat.shape[1]
        if d > MAX_ZCA_VALUES:
            raise ConfigError(
                f"modality.zca needs a {d} x {d} matrix for images of {tuple(x.shape[1:])}; it is supported up to "
                f"{MAX_ZCA_VALUES} values per image (CIFAR-size), so turn it off for this dataset"
            )
        mean = flat.mean(dim=0)
        centred = flat - mean
        cov = centred.T @ centred / max(1, flat.shape[0] - 1)
        s, u = torch.linalg.eigh(cov)
        s = s.clamp_min(0)
        matrix = (u * (s + eps).rsqrt()) @ u.T
        inverse = (u * (s + eps).sqrt()) @ u.T
        return cls(mean.float(), matrix.float(), inverse.float())

    def whiten(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> whitened (B, C, H, W)."""
        flat = x.reshape(x.shape[0], -1) - self.mean.to(x.device)
        return (flat @ self.matrix.to(x.device)).reshape(x.shape)

    def unwhiten(self, x: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`whiten`."""
        flat = x.reshape(x.shape[0], -1) @ self.inverse.to(x.device) + self.mean.to(x.device)
        return flat.reshape(x.shape)

    def state(self) -> dict[str, torch.Tensor]:
        return {"zca_mean": self.mean, "zca_matrix": self.matrix, "zca_inverse": self.inverse}

    @classmethod
    def from_state(cls, tensors: dict[str, torch.Tensor]) -> "ZCA":
        return cls(tensors["zca_mean"], tensors["zca_matrix"], tensors["zca_inverse"])
