"""A ring buffer of audio frames with one writer (the audio callback) and any number of readers.

The writer copies a block into preallocated memory and then advances ``written`` (a frame counter that only
grows); it takes no lock and allocates nothing but numpy views. Each reader keeps its own position (an absolute
frame number) and copies what is new. A reader that falls more than the capacity behind loses the oldest frames
and is told how many, never given torn data: after copying it re-reads ``written`` and drops whatever the writer
may have overwritten meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RingRead:
    """What one read returned: ``frames`` (n, channels) float32 starting at absolute frame ``start``; ``lost``
    frames before them were overwritten before the reader got to them."""

    frames: np.ndarray
    start: int
    lost: int

    @property
    def end(self) -> int:
        return self.start + len(self.frames)


class RingBuffer:
    """``capacity`` frames of ``channels`` float32 samples."""

    def __init__(self, capacity: int, channels: int) -> None:
        if capacity <= 0 or channels <= 0:
            raise ValueError("capacity and channels must be positive")
        self.capacity = int(capacity)
        self.channels = int(channels)
        self.data = np.zeros((self.capacity, self.channels), np.float32)
        self.written = 0  # frames written since the start (absolute position of the next frame)

    def write(self, block: np.ndarray) -> None:
        """Append a (n, channels) block (called from the audio thread: copies, no lock, no allocation)."""
        n = len(block)
        cap = self.capacity
        if n > cap:  # more than the whole ring at once: only the newest frames can be kept
            self.written += n - cap
            block = block[n - cap :]
            n = cap
        start = self.written % cap
        first = min(n, cap - start)
        self.data[start : start + first] = block[:first]
        if first < n:
            self.data[: n - first] = block[first:]
        self.written += n

    def read(self, start: int, max_frames: int | None = None) -> RingRead:
        """Copy frames from absolute position ``start`` up to what is written now (at most ``max_frames``)."""
        end = self.written
        if max_frames is not None:
            end = min(end, start + max(0, max_frames))
        cap = self.capacity
        lost = max(0, end - cap - start)
        start += lost
        n = max(0, end - start)
        out = np.empty((n, self.channels), np.float32)
        a = start % cap
        first = min(n, cap - a)
        out[:first] = self.data[a : a + first]
        if first < n:
            out[first:] = self.data[: n - first]
        overwritten = self.written - cap - start  # frames the writer may have replaced while we copied
        if overwritten > 0:
            drop = min(overwritten, n)
            out, start, lost = out[drop:], start + drop, lost + drop
        return RingRead(out, start, lost)

    def latest(self, frames: int) -> RingRead:
        """The newest ``frames`` frames (fewer at the start)."""
        return self.read(max(0, self.written - min(frames, self.capacity)))
