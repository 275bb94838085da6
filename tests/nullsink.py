"""A PulseAudio null sink of a test's own (other tests may play into the shared one meanwhile), and its monitor."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SR = 44100


class NullSink:
    """``pactl load-module module-null-sink`` under a unique name; ``remove()`` unloads it (an unplugged device)."""

    def __init__(self, name: str, rate: int = SR) -> None:
        assert shutil.which("pactl") and shutil.which("paplay"), \
            "PulseAudio tools missing: run packaging/bootstrap.sh test"
        self.name = name
        self.module = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={name}",
                                      f"rate={rate}", "channels=2"], capture_output=True, text=True,
                                     check=True).stdout.strip()

    @property
    def monitor(self) -> str:
        return f"{self.name}.monitor"

    def play(self, path: Path) -> subprocess.Popen:
        return subprocess.Popen(["paplay", f"--device={self.name}", str(path)])

    def remove(self) -> None:
        if self.module:
            subprocess.run(["pactl", "unload-module", self.module], capture_output=True)
            self.module = ""
