"""Audio input: decoding files (and arrays) into float32 mono signals."""

from genrelab.audio.decode import SUPPORTED_EXTENSIONS, Audio, AudioInfo, from_array, load, probe

__all__ = ["SUPPORTED_EXTENSIONS", "Audio", "AudioInfo", "from_array", "load", "probe"]
