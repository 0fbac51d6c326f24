"""What the image modality knows about each dataset (shapes, classes, statistics, Table-8 rows)."""

from __future__ import annotations

from dataclasses import dataclass

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR100_CLASSES = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle", "bowl",
    "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle", "chair",
    "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur", "dolphin",
    "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard", "lamp",
    "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
    "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck",
    "pine_tree", "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
    "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television",
    "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf",
    "woman", "worm",
)
#: ImageNet subsets of Cazenavette et al. (2022), by WordNet id.
IMAGENETTE = ("n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
              "n03394916", "n03417042", "n03425413", "n03445777", "n03888605")
IMAGEWOOF = ("n02086240", "n02087394", "n02088364", "n02089973", "n02093754",
             "n02096294", "n02099601", "n02105641", "n02111889", "n02115641")

#: Debian's dataset-fashion-mnist installs the four IDX files here.
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


@dataclass(frozen=True)
class ImageDataset:
    """Static facts about one image dataset.

    :param channels: m.
    :param size: native side length (None: chosen by the ``resolution`` option, ImageNet subsets).
    :param mean: per-channel mean used for normalisation.
    :param std: per-channel std used for normalisation.
    :param fields: the paper's Table 8 ``{ipc: (layers, width)}`` keyed by resolution.
    :param reader: which on-disk format the dataset is read from.
    """

    name: str
    title: str
    channels: int
    size: int | None
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    fields: dict[int, dict[int, tuple[int, int]]]
    reader: str
    default_root: str | None = None


_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
_IMAGENET_FIELDS = {128: {1: (3, 20), 10: (3, 20), 50: (3, 40)}, 256: {1: (3, 40)}}

DATASETS: dict[str, ImageDataset] = {
    "fashion-mnist": ImageDataset(
        "fashion-mnist", "Fashion-MNIST", 1, 28, FASHION_MNIST_CLASSES, (0.2860,), (0.3530,),
        {28: {1: (2, 6), 10: (2, 6)}}, "idx", DEBIAN_FASHION_MNIST,
    ),
    "mnist": ImageDataset(
        "mnist", "MNIST", 1, 28, tuple(str(i) for i in range(10)), (0.1307,), (0.3081,),
        {28: {1: (2, 6), 10: (2, 6)}}, "idx",
    ),
    "cifar10": ImageDataset(
        "cifar10", "CIFAR-10", 3, 32, CIFAR10_CLASSES, (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010),
        {32: {1: (2, 6), 10: (2, 6), 50: (2, 20)}}, "cifar",
    ),
    "cifar100": ImageDataset(
        "cifar100", "CIFAR-100", 3, 32, CIFAR100_CLASSES,
        (0.5071, 0.4866, 0.4409), (0.2673, 0.2564, 0.2762),
        {32: {1: (2, 10), 10: (2, 15), 50: (2, 30)}}, "cifar",
    ),
    "imagenette": ImageDataset(
        "imagenette", "ImageNette", 3, None, IMAGENETTE, _IMAGENET_MEAN, _IMAGENET_STD, _IMAGENET_FIELDS, "folder",
    ),
    "imagewoof": ImageDataset(
        "imagewoof", "ImageWoof", 3, None, IMAGEWOOF, _IMAGENET_MEAN, _IMAGENET_STD, _IMAGENET_FIELDS, "folder",
    ),
}
