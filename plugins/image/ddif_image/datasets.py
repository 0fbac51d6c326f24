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
#: ImageNet subsets of Cazenavette et al. (2022): (WordNet id, name) in their class order.
IMAGENET_SUBSETS: dict[str, tuple[tuple[str, str], ...]] = {
    "imagenette": (
        ("n01440764", "tench"), ("n02102040", "English springer"), ("n02979186", "cassette player"),
        ("n03000684", "chain saw"), ("n03028079", "church"), ("n03394916", "French horn"),
        ("n03417042", "garbage truck"), ("n03425413", "gas pump"), ("n03445777", "golf ball"),
        ("n03888605", "parachute"),
    ),
    "imagewoof": (
        ("n02096294", "Australian terrier"), ("n02093754", "Border terrier"), ("n02111889", "Samoyed"),
        ("n02088364", "beagle"), ("n02086240", "Shih-Tzu"), ("n02089973", "English foxhound"),
        ("n02087394", "Rhodesian ridgeback"), ("n02115641", "dingo"), ("n02099601", "golden retriever"),
        ("n02105641", "Old English sheepdog"),
    ),
    "imagefruit": (
        ("n07753275", "pineapple"), ("n07753592", "banana"), ("n07745940", "strawberry"), ("n07747607", "orange"),
        ("n07749582", "lemon"), ("n07768694", "pomegranate"), ("n07753113", "fig"), ("n07720875", "bell pepper"),
        ("n07718472", "cucumber"), ("n07742313", "Granny Smith"),
    ),
    "imageyellow": (
        ("n02206856", "bee"), ("n12057211", "yellow lady's slipper"), ("n07753592", "banana"),
        ("n07749582", "lemon"), ("n12144580", "corn"), ("n04146614", "school bus"), ("n03530642", "honeycomb"),
        ("n02129165", "lion"), ("n01773157", "garden spider"), ("n01531178", "goldfinch"),
    ),
    "imagemeow": (
        ("n02123045", "tabby cat"), ("n02123159", "tiger cat"), ("n02123394", "Persian cat"),
        ("n02123597", "Siamese cat"), ("n02124075", "Egyptian cat"), ("n02129165", "lion"), ("n02129604", "tiger"),
        ("n02128925", "jaguar"), ("n02128757", "snow leopard"), ("n02127052", "lynx"),
    ),
    "imagesquawk": (
        ("n01806143", "peacock"), ("n02007558", "flamingo"), ("n01818515", "macaw"), ("n02051845", "pelican"),
        ("n02056570", "king penguin"), ("n01614925", "bald eagle"), ("n01843383", "toucan"), ("n01518878", "ostrich"),
        ("n01860187", "black swan"), ("n01819313", "cockatoo"),
    ),
}

#: Debian's dataset-fashion-mnist installs the four IDX files here.
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


@dataclass(frozen=True)
class ImageDataset:
    """Static facts about one image dataset.

    :param channels: m.
    :param size: native side length (None: chosen by the ``resolution`` option, ImageNet subsets).
    :param mean: per-channel mean used for normalisation.
    :param std: per-channel std used for normalisation.
    :param fields: the paper's Table 8 ``{ipc: (layers, width, w0_first, w0)}`` keyed by resolution:
        layers and width from Table 8, the SIREN frequencies (first layer, hidden layers) from the
        authors' configuration (30 / 10 at 28 and 32 px, 30 / 40 for the ImageNet subsets).
    :param reader: which on-disk format the dataset is read from: ``idx``, ``cifar`` or ``folder``
        (an ImageNet-style ``train/<class>/*``, ``val/<class>/*`` tree).
    :param folders: for ``folder`` datasets, the class sub-folder names (WordNet ids) in label
        order; empty: every sub-folder of ``train/``, sorted (a user's own ImageFolder).
    """

    name: str
    title: str
    channels: int
    size: int | None
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    fields: dict[int, dict[int, tuple[int, int, float, float]]]
    reader: str
    default_root: str | None = None
    folders: tuple[str, ...] = ()


_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: SIREN w0 of (first layer, hidden layers) the authors use: small images and ImageNet subsets.
_W0_SMALL, _W0_IMAGENET = (30.0, 10.0), (30.0, 40.0)
_IMAGENET_FIELDS = {128: {1: (3, 20, *_W0_IMAGENET), 10: (3, 20, *_W0_IMAGENET), 50: (3, 40, *_W0_IMAGENET)},
                    256: {1: (3, 40, *_W0_IMAGENET)}}

DATASETS: dict[str, ImageDataset] = {
    "fashion-mnist": ImageDataset(
        "fashion-mnist", "Fashion-MNIST", 1, 28, FASHION_MNIST_CLASSES, (0.2860,), (0.3530,),
        {28: {1: (2, 6, *_W0_SMALL), 10: (2, 6, *_W0_SMALL)}}, "idx", DEBIAN_FASHION_MNIST,
    ),
    "mnist": ImageDataset(
        "mnist", "MNIST", 1, 28, tuple(str(i) for i in range(10)), (0.1307,), (0.3081,),
        {28: {1: (2, 6, *_W0_SMALL), 10: (2, 6, *_W0_SMALL)}}, "idx",
    ),
    "cifar10": ImageDataset(
        "cifar10", "CIFAR-10", 3, 32, CIFAR10_CLASSES, (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010),
        {32: {1: (2, 6, *_W0_SMALL), 10: (2, 6, *_W0_SMALL), 50: (2, 20, *_W0_SMALL)}}, "cifar",
    ),
    "cifar100": ImageDataset(
        "cifar100", "CIFAR-100", 3, 32, CIFAR100_CLASSES,
        (0.5071, 0.4866, 0.4409), (0.2673, 0.2564, 0.2762),
        {32: {1: (2, 10, *_W0_SMALL), 10: (2, 15, *_W0_SMALL), 50: (2, 30, *_W0_SMALL)}}, "cifar",
    ),
}
_TITLES = {"imagenette": "ImageNette", "imagewoof": "ImageWoof", "imagefruit": "ImageFruit",
           "imageyellow": "ImageYellow", "imagemeow": "ImageMeow", "imagesquawk": "ImageSquawk"}
for _name, _classes in IMAGENET_SUBSETS.items():
    DATASETS[_name] = ImageDataset(
        _name, _TITLES[_name], 3, None, tuple(n for _, n in _classes), _IMAGENET_MEAN, _IMAGENET_STD,
        _IMAGENET_FIELDS, "folder", folders=tuple(w for w, _ in _classes),
    )
#: Any ImageFolder of the user's (``--dataset folder --data-root DIR``): classes are the sub-folders of train/.
DATASETS["folder"] = ImageDataset(
    "folder", "image folder", 3, None, (), _IMAGENET_MEAN, _IMAGENET_STD, _IMAGENET_FIELDS, "folder",
)
