"""ddif-image: the image modality of ddif (IDX datasets, ConvNet, DSA augmentation, PNG previews)."""

__version__ = "0.1.0"
