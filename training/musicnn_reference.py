"""Reference outputs of the original musicnn (TensorFlow) for the torch port's parity check.

Runs in an environment with TensorFlow (the ``convert`` extra: ``pip install tensorflow-cpu librosa`` and
``pip install --no-deps musicnn``), never in the app's. For each audio file it computes musicnn's own input
(librosa, 16 kHz, as ``musicnn.extractor.batch_data`` does, except that ``log10(1 + 10000 P)`` is taken in float32:
musicnn's own float16 ``10000 * P`` overflows to inf on loud music) rounded to float16-exact values, and runs
both checkpoints' graphs on it:

    python training/musicnn_reference.py OUT.npz AUDIO [AUDIO ...]

OUT.npz holds ``x`` (B, 187, 96) and, per model (``msd``, ``mtt``), ``{model}_{tags,max_pool,mean_pool,
penultimate,logits}``. ``python -m training.musicnn_parity OUT.npz`` compares the port with it.
"""

from __future__ import annotations

import os
import sys

import numpy as np


def reference(paths: list[str]) -> dict[str, np.ndarray]:
    import librosa
    import tensorflow as tf
    from musicnn import configuration as config
    from musicnn import models

    tf.compat.v1.disable_eager_execution()
    batches = []
    for p in paths:
        audio, sr = librosa.load(p, sr=config.SR)
        rep = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=config.FFT_HOP, n_fft=config.FFT_SIZE,
                                             n_mels=config.N_MELS).T
        rep = np.log10(10000 * rep.astype(np.float32) + 1).astype(np.float16).astype(np.float32)
        batches += [rep[t:t + 187] for t in range(0, len(rep) - 187 + 1, 187)]
    x = np.stack(batches).astype(np.float32)
    out = {"x": x}
    for short, model in (("msd", "MSD_musicnn"), ("mtt", "MTT_musicnn")):
        n = len(config.MSD_LABELS if short == "msd" else config.MTT_LABELS)
        tf.compat.v1.reset_default_graph()
        with tf.name_scope("model"):
            xp = tf.compat.v1.placeholder(tf.float32, [None, 187, config.N_MELS])
            training = tf.compat.v1.placeholder(tf.bool)
            y, _t, _s, _c1, _c2, _c3, mean_pool, max_pool, pen = models.define_model(xp, training, model, n)
            tags = tf.nn.sigmoid(y)
        sess = tf.compat.v1.Session()
        sess.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.train.Saver().restore(sess, os.path.dirname(models.__file__) + "/" + model + "/")
        values = sess.run([y, tags, max_pool, mean_pool, pen], feed_dict={xp: x, training: False})
        for name, v in zip(("logits", "tags", "max_pool", "mean_pool", "penultimate"), values, strict=True):
            out[f"{short}_{name}"] = np.asarray(v, np.float32)
        sess.close()
    return out


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    np.savez_compressed(sys.argv[1], **reference(sys.argv[2:]))
    print(f"wrote {sys.argv[1]}")
