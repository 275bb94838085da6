"""Signal processing: the feature spec, spectra, model windows and the paper's image input. No Qt here."""

from genrelab.dsp.spec import GTZAN_IMAGE_STRIDE, PAPER_SPEC, FeatureSpec
from genrelab.dsp.spectrum import TrackFeatures, track_features
from genrelab.dsp.windows import cut, model_inputs, scale, window_centres, window_starts

__all__ = [
    "FeatureSpec",
    "PAPER_SPEC",
    "GTZAN_IMAGE_STRIDE",
    "TrackFeatures",
    "track_features",
    "cut",
    "scale",
    "model_inputs",
    "window_starts",
    "window_centres",
]
