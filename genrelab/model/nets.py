"""The paper's networks in torch: CNN, Bi-GRU, ResNet18 and the parallel ResNet-BiGRU.

Every net takes (B, C, H, W): C=1 and H = bands for the native input, C=3 and H=W=224 for the paper's image.
The image's width is time. Training and the torch engine import this module; the ONNX path never does.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

ARCHITECTURES = ("cnn", "bigru", "resnet18", "resnet_bigru", "musicnn_transfer")


class BasicBlock(nn.Module):
    """ResNet's basic residual block (two 3x3 convs), parameter names as torchvision's.

    Defined here so that building a net does not import torchvision (seconds of start-up for the torch engine).
    """

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18Trunk(nn.Module):
    """ResNet18 without its pooling and classifier, with a settable base width (64 = the real ResNet18).

    Parameter names match torchvision's ``resnet18`` so ImageNet weights load into it.
    """

    def __init__(self, in_channels: int = 3, base_width: int = 64) -> None:
        super().__init__()
        w = base_width
        self.conv1 = nn.Conv2d(in_channels, w, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.inplanes = w
        self.layer1 = self._make_layer(w, 1)
        self.layer2 = self._make_layer(2 * w, 2)
        self.layer3 = self._make_layer(4 * w, 2)
        self.layer4 = self._make_layer(8 * w, 2)
        self.out_features = 8 * w

    def _make_layer(self, planes: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )
        layers = [BasicBlock(self.inplanes, planes, stride, downsample), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def load_imagenet(self) -> None:
        """Load torchvision's ImageNet ResNet18 weights (needs internet the first time; width must be 64).

        For a 1-channel input the RGB filters of ``conv1`` are summed.
        """
        from torchvision.models import ResNet18_Weights, resnet18

        if self.out_features != 512:
            raise ValueError("ImageNet weights need base_width 64")
        state = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1).state_dict()
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        if self.conv1.in_channels == 1:
            state["conv1.weight"] = state["conv1.weight"].sum(dim=1, keepdim=True)
        self.load_state_dict(state)


class ResNetPath(nn.Module):
    """ResNet18 trunk -> adaptive max pool 1x1 -> Linear(512, 256) -> Dropout 0.5 -> BatchNorm1d (paper)."""

    def __init__(self, in_channels: int, base_width: int = 64, out_features: int = 256) -> None:
        super().__init__()
        self.trunk = ResNet18Trunk(in_channels, base_width)
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(self.trunk.out_features, out_features)
        self.dropout = nn.Dropout(0.5)
        self.bn = nn.BatchNorm1d(out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.trunk(x)).flatten(1)
        return self.bn(self.dropout(self.fc(x)))


class BiGRUPath(nn.Module):
    """Each pixel column is a time step (features = channels x height) -> Bi-GRU -> Linear(2*hidden, 256).

    The output joins the forward direction's last step and the backward direction's first step (paper).
    """

    def __init__(self, in_channels: int, height: int, hidden: int = 256, out_features: int = 256) -> None:
        super().__init__()
        self.hidden = hidden
        self.gru = nn.GRU(in_channels * height, hidden, num_layers=1, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        seq = x.permute(0, 3, 1, 2).reshape(b, w, c * h)
        out, _ = self.gru(seq)
        last = torch.cat([out[:, -1, : self.hidden], out[:, 0, self.hidden :]], dim=1)
        return self.fc(last)


class ResNetBiGRU(nn.Module):
    """The proposed model: ResNet path and Bi-GRU path in parallel, concatenated -> Dropout 0.5 -> Linear."""

    def __init__(self, in_channels: int, height: int, n_classes: int, base_width: int = 64, hidden: int = 256):
        super().__init__()
        self.resnet = ResNetPath(in_channels, base_width)
        self.bigru = BiGRUPath(in_channels, height, hidden)
        self.dropout = nn.Dropout(0.5)
        self.classifier = nn.Linear(512, n_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate features (B, 512): both paths joined, before dropout and the classifier."""
        return torch.cat([self.resnet(x), self.bigru(x)], dim=1)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(x))


class ResNet18Classifier(nn.Module):
    """ResNet path alone -> Linear(256, n_classes)."""

    def __init__(self, in_channels: int, n_classes: int, base_width: int = 64) -> None:
        super().__init__()
        self.resnet = ResNetPath(in_channels, base_width)
        self.classifier = nn.Linear(256, n_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate features (B, 256): the ResNet path's output."""
        return self.resnet(x)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(x))


class BiGRUClassifier(nn.Module):
    """Bi-GRU path alone -> ReLU -> Dropout 0.5 -> Linear(256, n_classes)."""

    def __init__(self, in_channels: int, height: int, n_classes: int, hidden: int = 256) -> None:
        super().__init__()
        self.bigru = BiGRUPath(in_channels, height, hidden)
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, n_classes))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate features (B, 256): the Bi-GRU path's output."""
        return self.bigru(x)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(x))


class CNN(nn.Module):
    """A plain 4-block CNN (conv3x3-BN-ReLU-maxpool; 32..256 channels at width 32) -> max pool -> Linear."""

    def __init__(self, in_channels: int, n_classes: int, base_width: int = 32) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        c_in = in_channels
        for i in range(4):
            c_out = base_width * 2**i
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            blocks.append(nn.MaxPool2d(2, ceil_mode=True))
            c_in = c_out
        self.features = nn.Sequential(*blocks, nn.AdaptiveMaxPool2d(1))
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(c_in, n_classes))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate features (B, channels): the pooled convolutional features."""
        return self.features(x).flatten(1)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(x))


def build(
    architecture: str,
    input_shape: tuple[int, int, int],
    n_classes: int,
    *,
    base_width: int = 64,
    hidden: int = 256,
    pretrained: str | None = None,
    spec: dict[str, Any] | None = None,
    backbone: str = "msd",
    finetune: str = "none",
    span: bool = False,
) -> nn.Module:
    """Build a net by name for inputs of ``input_shape`` = (channels, height, width); returns logits.

    ``base_width`` scales the ResNet (64 = ResNet18) and the CNN (half of it); ``pretrained="imagenet"`` loads
    torchvision's ImageNet weights into the ResNet trunk (ResNet archs only; needs internet once).
    ``musicnn_transfer`` (:mod:`genrelab.model.musicnn`) needs the feature ``spec`` (a dict) for its adapter;
    it is built with random weights here (training loads the pretrained backbone, the engine the file's).
    """
    c, h, _ = input_shape
    if architecture == "musicnn_transfer":
        from genrelab.model.musicnn import MusicnnTransfer

        if spec is None:
            raise ValueError("musicnn_transfer needs the feature spec")
        return MusicnnTransfer(spec, n_classes, hidden=hidden, backbone=backbone, finetune=finetune, span=span)
    if architecture == "resnet_bigru":
        net: nn.Module = ResNetBiGRU(c, h, n_classes, base_width, hidden)
        trunk = net.resnet.trunk
    elif architecture == "resnet18":
        net = ResNet18Classifier(c, n_classes, base_width)
        trunk = net.resnet.trunk
    elif architecture == "bigru":
        net, trunk = BiGRUClassifier(c, h, n_classes, hidden), None
    elif architecture == "cnn":
        net, trunk = CNN(c, n_classes, max(8, base_width // 2)), None
    else:
        raise ValueError(f"unknown architecture {architecture!r}; choose one of {', '.join(ARCHITECTURES)}")
    if pretrained == "imagenet":
        if trunk is None:
            raise ValueError(f"{architecture} has no ResNet trunk to initialise from ImageNet")
        trunk.load_imagenet()
    elif pretrained not in (None, "none"):
        raise ValueError(f"unknown pretrained weights {pretrained!r} (use 'imagenet' or none)")
    return net


def build_from_params(params: dict[str, Any]) -> nn.Module:
    """Rebuild a net from a card's ``arch_params`` (architecture, input_shape, n_classes, base_width, hidden;
    spec, backbone, finetune, span for musicnn_transfer)."""
    return build(
        params["architecture"],
        tuple(params["input_shape"]),
        int(params["n_classes"]),
        base_width=int(params.get("base_width", 64)),
        hidden=int(params.get("hidden", 256)),
        spec=params.get("spec"),
        backbone=str(params.get("backbone", "msd")),
        finetune=str(params.get("finetune", "none")),
        span=bool(params.get("span", False)),
    )


def embed_and_classify(net: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, embedding) for a net with ``embed``/``classify`` (every net here); embedding is float32 (B, D)."""
    features = net.embed(x)
    return net.classify(features), features.flatten(1)


class WithSoftmax(nn.Module):
    """Wraps a logits net so that the exported graph outputs probabilities (and the embedding, if asked)."""

    def __init__(self, net: nn.Module, with_embedding: bool = False) -> None:
        super().__init__()
        self.net = net
        self.with_embedding = with_embedding

    def forward(self, x: torch.Tensor):
        if not self.with_embedding:
            return torch.softmax(self.net(x), dim=1)
        logits, features = embed_and_classify(self.net, x)
        return torch.softmax(logits, dim=1), features
