"""eoscope's Python client: watch any PyTorch training with eoscope (see README.md)."""
from .model import DeliveryError, PublisherError
from .publisher import Publisher

__all__ = ["DeliveryError", "Publisher", "PublisherError"]
__version__ = "0.1.0"
