"""GenreLab: a desktop genre analyser (spectrograms + a ResNet-BiGRU genre model over time)."""

__version__ = "0.1.0"
