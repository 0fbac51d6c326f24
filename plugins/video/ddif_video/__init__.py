"""ddif-video: the video modality of ddif (UCF101/MiniUCF via PyAV, moving shapes, ConvNet3D, GIF/MP4 renders)."""

__version__ = "0.1.0"
