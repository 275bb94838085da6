"""Recording: input devices, and a `Recorder` that fills a ring buffer from a PortAudio input stream.

Why a sounddevice callback and not rtmixer
------------------------------------------
Friture records through ``rtmixer``: its C callback fills a PortAudio ring buffer, so no Python runs on the audio
thread, and a GUI timer drains the ring. We use a plain sounddevice callback instead, for three reasons:

* sounddevice is already how the app plays audio, and has wheels everywhere; rtmixer is one more compiled
  package (a C extension built against PortAudio's headers on Linux), so one more thing to break in the
  one-folder bundle and in ``packaging/bootstrap.sh``.
* The danger of Python on the audio thread is waiting for the GIL. Our callback only copies the block into a
  preallocated numpy ring (:class:`~genrelab.audio.record_ring.RingBuffer`) and bumps a counter: a few
  microseconds once it holds the GIL. The stream asks PortAudio for a 0.1-s input buffer, so the callback may
  wait up to ~100 ms for the GIL before anything is lost, and the app sets a 1-ms switch interval. The heavy
  work (FFTs, ONNX Runtime, Qt painting) runs in C with the GIL released.
* Dropouts are counted, not guessed: every ``input_overflow`` PortAudio reports is counted and shown, and
  ``genrelab bench --live`` measures them while the views and the model run (0 on the 2-core test machine).
  Should a machine show dropouts, rtmixer can replace the callback behind the same ring interface.

The rest of the design is Friture's: the callback writes into a ring buffer; readers (the take writer thread,
the live analyser) each keep their own position and drain it at their own pace.

Devices
-------
:func:`list_inputs` lists PortAudio's input devices and, where PortAudio reaches PulseAudio or PipeWire through
ALSA's ``pulse`` plugin, every PulseAudio source, monitors of outputs included ("Monitor of ..."): that is how
a teacher records what the computer is playing. A source is opened through PortAudio's ``pulse`` device with
``PULSE_SOURCE`` naming it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genrelab.audio.record_ring import RingBuffer
from genrelab.errors import AudioError

if TYPE_CHECKING:
    from genrelab.audio.record_take import Take

ENV_NO_AUDIO = "GENRELAB_NO_AUDIO"
INPUT_LATENCY_S = 0.1  # PortAudio's input buffer: how long the callback may wait for the GIL without a dropout
RING_SECONDS = 60.0  # how far behind a reader (a stalled disk) may fall before frames are lost
STALL_S = 3.0  # no audio for this long (after the first block) means the device is gone
START_TIMEOUT_S = 8.0  # no first block after this long: the device delivers nothing
_PULSE_ENV_LOCK = threading.Lock()


class RecordError(AudioError):
    """Recording cannot start or had to stop (no PortAudio, no device, a refused rate...): one line for people."""


@dataclass(frozen=True)
class InputDevice:
    """An input the user can pick: a PortAudio device, or a PulseAudio/PipeWire source reached through it.

    ``index`` is the number ``genrelab devices`` shows (PortAudio's index for PortAudio devices; sources follow).
    """

    index: int
    name: str
    channels: int
    default_rate: int
    host: str
    portaudio_index: int
    pulse_source: str | None = None
    pulse_index: int | None = None
    description: str = ""

    @property
    def monitor(self) -> bool:
        """Whether this is the monitor of an output (what the computer plays)."""
        return bool(self.pulse_source and self.pulse_source.endswith(".monitor"))

    @property
    def label(self) -> str:
        """What the input picker shows."""
        if self.pulse_source:
            kind = "what the computer plays" if self.monitor else "PulseAudio source"
            return f"{self.description or self.pulse_source} ({kind})"
        return f"{self.name} ({self.host})"


def _import_sounddevice() -> Any:
    if os.environ.get(ENV_NO_AUDIO):
        raise RecordError(f"audio input is disabled ({ENV_NO_AUDIO} is set)")
    try:
        import sounddevice as sd
    except OSError as exc:
        raise RecordError(f"no audio input: the PortAudio library is missing ({_one_line(exc)}); "
                          "install libportaudio2") from None
    except ImportError:
        raise RecordError("no audio input: the sounddevice package is not installed") from None
    return sd


def _one_line(exc: BaseException | str) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def recording_unavailable() -> str | None:
    """Why nothing can be recorded here (no PortAudio, no input device), or None when something can."""
    try:
        if not list_inputs():
            return "no audio input device found"
    except RecordError as exc:
        return str(exc)
    return None


def list_inputs() -> list[InputDevice]:
    """PortAudio's input devices, then PulseAudio/PipeWire sources (monitors included) when reachable."""
    sd = _import_sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
    except Exception as exc:  # noqa: BLE001 - PortAudioError when PortAudio cannot initialise
        raise RecordError(f"no audio input: {_one_line(exc)}") from None
    out: list[InputDevice] = []
    pulse_pa = None
    for i, d in enumerate(devices):
        if int(d.get("max_input_channels", 0)) < 1:
            continue
        host = hostapis[d["hostapi"]]["name"] if 0 <= d["hostapi"] < len(hostapis) else "?"
        out.append(InputDevice(i, d["name"], _channels_for(int(d["max_input_channels"])),
                               int(d["default_samplerate"]), host, i))
        if d["name"] == "pulse":
            pulse_pa = i
    if pulse_pa is not None:
        first = len(devices)
        for k, (pidx, name, desc, channels, rate) in enumerate(pulse_sources()):
            out.append(InputDevice(first + k, name, channels, rate, "PulseAudio", pulse_pa, name, pidx, desc))
    return out


def _channels_for(max_channels: int) -> int:
    """Channels to record: all of an interface's inputs (up to 8); stereo from virtual ALSA devices that claim 32."""
    return max_channels if max_channels <= 8 else 2


_SPEC = re.compile(r"(\d+)ch\s+(\d+)Hz")


def pulse_sources() -> list[tuple[int, str, str, int, int]]:
    """(index, name, description, channels, rate) of every PulseAudio/PipeWire source, from ``pactl``."""
    if shutil.which("pactl") is None:
        return []
    try:
        text = subprocess.run(["pactl", "list", "sources"], capture_output=True, text=True, timeout=5,
                              env={**os.environ, "LC_ALL": "C"}).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    out = []
    for block in re.split(r"^Source #", text, flags=re.M)[1:]:
        index = int(block.split("\n", 1)[0].strip() or -1)
        fields = dict(re.findall(r"^\s+(Name|Description|Sample Specification): (.*)$", block, flags=re.M))
        spec = _SPEC.search(fields.get("Sample Specification", ""))
        if "Name" not in fields or spec is None:
            continue
        out.append((index, fields["Name"].strip(), fields.get("Description", "").strip(), int(spec.group(1)),
                    int(spec.group(2))))
    return out


def default_input(devices: list[InputDevice]) -> InputDevice:
    """PortAudio's default input (the first input when it names none)."""
    if not devices:
        raise RecordError("no audio input device found")
    sd = _import_sounddevice()
    try:
        default = int(sd.default.device[0])
        if default < 0:
            default = int(sd.query_devices(kind="input")["index"])
    except Exception:  # noqa: BLE001 - no default input
        default = -1
    return next((d for d in devices if d.index == default and d.pulse_source is None), devices[0])


def resolve_input(choice: str | int | None, devices: list[InputDevice] | None = None) -> InputDevice:
    """The input named by ``choice``: None (the default), an index from :func:`list_inputs`, an exact name, or a
    piece of one name or description. RecordError (one line) when none or several match."""
    devices = list_inputs() if devices is None else devices
    if not devices:
        raise RecordError("no audio input device found")
    if choice is None or str(choice).strip() == "":
        return default_input(devices)
    text = str(choice).strip()
    if text.lstrip("-").isdigit():
        found = [d for d in devices if d.index == int(text)]
        if not found:
            raise RecordError(f"no input device with index {text} (`genrelab devices` lists them)")
        return found[0]
    exact = [d for d in devices if text in (d.name, d.pulse_source)]
    if exact:
        return exact[0]
    low = text.lower()
    found = [d for d in devices if low in d.name.lower() or low in d.description.lower()]
    if len(found) == 1:
        return found[0]
    if not found:
        raise RecordError(f"no input device matches {text!r} (`genrelab devices` lists them)")
    names = ", ".join(f"{d.index}: {d.name}" for d in found[:6])
    raise RecordError(f"{text!r} matches several inputs ({names}); give its index")


class Recorder:
    """One input stream feeding a :class:`RingBuffer` (the take writer and the live analyser read it).

    ``start()`` opens the stream (RecordError with one line when it cannot); a supervisor thread notices a device
    that stops delivering (unplugged) and sets ``error``. ``stop()`` closes everything. Counters: ``frames``
    (written to the ring), ``dropouts`` (PortAudio input overflows).
    """

    def __init__(self, device: InputDevice, *, rate: int | None = None, channels: int | None = None,
                 ring_seconds: float = RING_SECONDS, latency: float = INPUT_LATENCY_S) -> None:
        self.device = device
        self.rate = int(rate or device.default_rate or 48000)
        self.channels = int(channels or device.channels or 1)
        self.latency_request = latency
        self.ring = RingBuffer(int(ring_seconds * self.rate), self.channels)
        self.dropouts = 0
        self.error: str | None = None
        self.started_at = 0.0  # time.monotonic() of start()
        self.first_block_at = 0.0
        self.last_block_at = 0.0
        # (frames written after the block, time.monotonic() when it arrived), the last 256 blocks
        self.block_log = np.zeros((256, 2), np.float64)
        self.blocks = 0
        self._stream: Any = None
        self._finished = False
        self._stopping = False
        self._stop = threading.Event()
        self._watchers: list[Any] = []
        self._listeners: list[Any] = []
        self._supervisor: threading.Thread | None = None

    # ---- properties -----------------------------------------------------------------------------------
    @property
    def frames(self) -> int:
        return self.ring.written

    @property
    def latency(self) -> float:
        """The input latency PortAudio reports (seconds), or the requested one before the stream opens."""
        return float(getattr(self._stream, "latency", 0.0) or self.latency_request)

    @property
    def running(self) -> bool:
        return self._stream is not None and self.error is None

    def on_failure(self, callback: Any) -> None:
        """Call ``callback(message)`` (on the supervisor thread) when the device fails mid-stream."""
        self._listeners.append(callback)

    # ---- the audio thread -------------------------------------------------------------------------------
    def _callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if status.input_overflow:
            self.dropouts += 1
        self.ring.write(indata)
        now = time.monotonic()
        row = self.block_log[self.blocks % 256]
        row[0] = self.ring.written
        row[1] = now
        self.blocks += 1
        self.last_block_at = now

    def _on_finished(self) -> None:
        self._finished = True

    # ---- start / stop -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Open and start the stream. RecordError (one line) for no PortAudio, a refused rate, a busy device."""
        sd = _import_sounddevice()
        dev = self.device
        try:
            sd.check_input_settings(device=dev.portaudio_index, channels=self.channels, dtype="float32",
                                    samplerate=self.rate)
        except Exception as exc:  # noqa: BLE001 - PortAudioError / ValueError
            raise RecordError(f"{dev.name} refuses {self.rate} Hz, {self.channels} channel(s) "
                              f"({_one_line(exc)})") from None
        try:
            with _PULSE_ENV_LOCK:  # ALSA's pulse plugin reads PULSE_SOURCE when the stream opens
                old = os.environ.get("PULSE_SOURCE")
                if dev.pulse_source:
                    os.environ["PULSE_SOURCE"] = dev.pulse_source
                try:
                    self._stream = sd.InputStream(device=dev.portaudio_index, channels=self.channels,
                                                  samplerate=self.rate, dtype="float32",
                                                  latency=self.latency_request, callback=self._callback,
                                                  finished_callback=self._on_finished)
                finally:
                    if dev.pulse_source:
                        if old is None:
                            os.environ.pop("PULSE_SOURCE", None)
                        else:
                            os.environ["PULSE_SOURCE"] = old
            self.started_at = time.monotonic()
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudioError in several flavours
            self._close_stream()
            raise RecordError(f"cannot record from {dev.name}: {_one_line(exc)}") from None
        if dev.pulse_index is not None:
            self._watch_pulse_source(dev.pulse_index)
        self._supervisor = threading.Thread(target=self._supervise, name="genrelab-recorder-watch", daemon=True)
        self._supervisor.start()

    def stop(self) -> None:
        """Stop and close the stream (what is in the ring stays readable)."""
        self._stopping = True
        self._stop.set()
        self._close_stream()
        for proc in self._watchers:
            try:
                proc.terminate()
                proc.wait(timeout=2)
            except (OSError, subprocess.SubprocessError):
                pass
        self._watchers.clear()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # noqa: BLE001,S110 - closing a stream whose device has gone
                pass

    def start_take(self, path: Path | None = None, fmt: str | None = None, max_seconds: float | None = None,
                   from_start: bool = False) -> Take:
        """Start writing the input to ``path`` (see :func:`genrelab.audio.record_take.start_take`)."""
        from genrelab.audio.record_take import start_take

        return start_take(self, path, fmt, max_seconds=max_seconds, from_start=from_start)

    def wait_for_audio(self, timeout: float = START_TIMEOUT_S) -> bool:
        """Block until the first block arrives (True) or the device fails or ``timeout`` passes (False)."""
        end = time.monotonic() + timeout
        while self.blocks == 0 and self.error is None and time.monotonic() < end:
            time.sleep(0.005)
        return self.blocks > 0

    # ---- supervision --------------------------------------------------------------------------------------
    def _fail(self, message: str) -> None:
        if self.error is not None or self._stopping:
            return
        self.error = message
        self._close_stream()
        for callback in list(self._listeners):
            callback(message)

    def _supervise(self) -> None:
        name = self.device.label
        while not self._stop.wait(0.2):
            now = time.monotonic()
            if self._finished and not self._stopping:
                self._fail(f"the input stopped: {name} was unplugged or failed")
            elif self.blocks == 0 and now - self.started_at > START_TIMEOUT_S:
                self._fail(f"no audio arrives from {name} (is it connected?)")
            elif self.blocks > 0 and now - self.last_block_at > STALL_S:
                self._fail(f"the input stopped delivering audio: {name} was unplugged or failed")

    def _watch_pulse_source(self, index: int) -> None:
        """A PulseAudio source that disappears moves our stream to another source silently: watch for it."""
        if shutil.which("pactl") is None:
            return
        try:
            proc = subprocess.Popen(["pactl", "subscribe"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True, env={**os.environ, "LC_ALL": "C"})
        except OSError:
            return
        self._watchers.append(proc)
        gone = f"'remove' on source #{index}"

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if gone in line:
                    self._fail(f"{self.device.label} was removed (unplugged?)")
                    return

        threading.Thread(target=read, name="genrelab-pulse-watch", daemon=True).start()

    def capture_time(self, frame: int) -> float | None:
        """time.monotonic() when the block holding absolute ``frame`` arrived (None if no longer logged)."""
        n = min(self.blocks, 256)
        if n == 0:
            return None
        log = self.block_log[:n]
        ends = log[:, 0]
        later = ends > frame
        if not later.any():
            return None
        return float(log[later, 1][np.argmin(ends[later])])
