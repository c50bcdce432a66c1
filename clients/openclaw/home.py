"""An isolated OpenClaw gateway home for tests: its own HOME, config and
state directory, and the `openclaw` command run in it.

`OPENCLAW_BIN_DIR` (set by clients/run) puts Node 26 and `openclaw` first on
the PATH. The environment of the test process is passed on without any
OPENCLAW_*, HF_* or HUGGINGFACE_* variable, so nothing of the machine's own
gateway or token leaks in; each call adds what it needs.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

BIN = os.environ["OPENCLAW_BIN_DIR"]


class Home:
    def __init__(self, prefix="openclaw-home-"):
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.config = self.dir / "openclaw.json"
        self.state = self.dir / "state"
        self.state.mkdir()

    def env(self, config=None, **extra):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OPENCLAW_", "HF_", "HUGGINGFACE_"))
        }
        env.update(
            PATH=f"{BIN}:{os.environ['PATH']}",
            HOME=str(self.dir),
            OPENCLAW_CONFIG_PATH=str(config or self.config),
            OPENCLAW_STATE_DIR=str(self.state),
            NO_COLOR="1",
        )
        env.update(extra)
        return env

    def openclaw(self, *args, config=None, timeout=180, input=None, **extra):
        """`openclaw args...`; `input`, when given, is its standard input."""
        return subprocess.run(
            ["openclaw", *args],
            env=self.env(config, **extra),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def write_config(self, config, path=None):
        path = path or self.config
        path.write_text(json.dumps(config, indent=2))
        return path
