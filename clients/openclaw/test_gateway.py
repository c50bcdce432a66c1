"""The real OpenClaw gateway, as a user runs it beside this project.

- The plugin package (examples/openclaw-plugin) installs into an isolated
  gateway, lists the mock router's catalog through `test-host serve`, and
  answers an agent turn with the mock's scripted answer.
- Every config the project writes or documents is valid for the gateway's
  own validator (`openclaw config validate --json`): the example configs,
  the README's, and what `test-host onboard` writes, interactively and not,
  on a fresh, a re-run and a user's commented config. And our
  non-interactive onboarding writes what the gateway's own does.

`clients/run` sets ROOT, OPENCLAW_BIN_DIR (Node 26 and the `openclaw`
command), TEST_HOST, PLUGIN, MOCK_URL (the mock router), and SERVE_URL /
SERVE_KEY (a `test-host serve` with discovery on, in front of the mock).
"""

import json
import os
import pty
import re
import select
import subprocess
import tempfile
import time
import unittest
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(os.environ["ROOT"])
BIN = os.environ["OPENCLAW_BIN_DIR"]
TEST_HOST = os.environ["TEST_HOST"]
PLUGIN = os.environ["PLUGIN"]
MOCK_URL = os.environ["MOCK_URL"]
SERVE_URL = os.environ["SERVE_URL"]
SERVE_KEY = os.environ["SERVE_KEY"]
PACKAGE = ROOT / "examples" / "openclaw-plugin"
TOKEN = "hf_gateway_test_token_0123456789"


class Home:
    """An isolated gateway home: its own HOME, config and state directory."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="openclaw-home-"))
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

    def openclaw(self, *args, config=None, timeout=180, **extra):
        return subprocess.run(
            ["openclaw", *args],
            env=self.env(config, **extra),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def test_host(self, *args, config=None):
        return subprocess.run(
            [
                TEST_HOST,
                "--plugin", PLUGIN,
                "--config", str(config or self.config),
                "--state-dir", str(self.state),
                "--base-url", MOCK_URL,
                *args,
            ],
            env=self.env(config),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def mock_stats():
    with urllib.request.urlopen(MOCK_URL.removesuffix("/v1") + "/mock/stats") as r:
        return json.load(r)


def read_json(path):
    """A config both tools wrote from nothing: plain JSON."""
    return json.loads(Path(path).read_text())


# One gateway home with the plugin package installed: the validator needs
# it to check `plugins.entries.hf-plugin.config` against our schema.
VALIDATOR = None


def validator():
    global VALIDATOR
    if VALIDATOR is None:
        home = Home()
        out = home.openclaw("plugins", "install", "--link", "--force", "--accept-capabilities", str(PACKAGE))
        assert out.returncode == 0, out.stdout + out.stderr
        VALIDATOR = home
    return VALIDATOR


def validate(path):
    """`openclaw config validate --json` on `path`: (valid, issues)."""
    out = validator().openclaw("config", "validate", "--json", config=path)
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"{path}: not JSON: {out.stdout}{out.stderr}")
    return report.get("valid") is True, report.get("issues", []) + report.get("warnings", [])


def validate_all(paths):
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(paths, pool.map(validate, paths)))


class Gateway(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = Home()
        cls.extra = {"OPENCLAW_HF_SERVE_URL": SERVE_URL, "OPENCLAW_HF_SERVE_KEY": SERVE_KEY}
        out = cls.home.openclaw(
            "plugins", "install", "--link", "--force", "--accept-capabilities", str(PACKAGE), **cls.extra
        )
        assert out.returncode == 0, out.stdout + out.stderr

    def test_1_the_gateway_lists_the_mock_catalog_through_the_plugin(self):
        out = self.home.openclaw("models", "list", "--refresh", "--provider", "hf-plugin", "--json", **self.extra)
        self.assertEqual(out.returncode, 0, out.stderr)
        listed = json.loads(out.stdout)
        models = listed["models"] if isinstance(listed, dict) else listed
        keys = {m.get("key") or m.get("id") for m in models}
        # The built-in models and rows only the mock router lists.
        for ref in ["hf-plugin/deepseek-ai/DeepSeek-R1", "hf-plugin/mock/echo", "hf-plugin/Qwen/Qwen3-8B"]:
            self.assertIn(ref, keys, sorted(keys)[:20])

    def test_2_an_agent_turn_answers_with_the_mock_routers_answer(self):
        out = self.home.openclaw("models", "set", "hf-plugin/Qwen/Qwen3-8B", **self.extra)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        before = mock_stats()["chat_requests"]
        started = time.time()
        out = self.home.openclaw(
            "agent", "--local", "--message", "Hello", "--session-id", "ci", "--json", timeout=300, **self.extra
        )
        self.assertEqual(out.returncode, 0, out.stdout[-2000:] + out.stderr[-2000:])
        answer = json.loads(out.stdout)
        text = answer["payloads"][0]["text"]
        self.assertTrue(text.startswith("Hello! You said: "), text[:200])
        self.assertEqual(answer["meta"]["agentMeta"]["provider"], "hf-plugin")
        self.assertGreater(mock_stats()["chat_requests"], before)
        print(f"\n  agent turn: {time.time() - started:.1f} s", flush=True)

    def test_3_an_endpoint_that_is_down_is_named_with_what_to_do(self):
        down = {**self.extra, "OPENCLAW_HF_SERVE_URL": "http://127.0.0.1:9/v1"}
        out = self.home.openclaw(
            "agent", "--local", "--message", "Hello", "--session-id", "down", "--json", timeout=300, **down
        )
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("test-host serve", out.stdout + out.stderr)


def drive_interactive_onboarding(home):
    """`test-host onboard` in a pseudo-terminal: type the token, accept the
    default model and no backend preference."""
    command = (
        f"stty cols 120 rows 40; exec '{TEST_HOST}' --plugin '{PLUGIN}' --config '{home.config}' "
        f"--state-dir '{home.state}' --base-url '{MOCK_URL}' onboard"
    )
    pid, fd = pty.fork()
    if pid == 0:
        env = home.env(TERM="xterm-256color")
        os.execve("/bin/sh", ["sh", "-c", command], env)
    seen = b""

    def expect(text, timeout=60):
        nonlocal seen
        deadline = time.time() + timeout
        while text.encode() not in seen:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"no {text!r} in: {seen.decode(errors='replace')[-1500:]}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"ended before {text!r}: {seen.decode(errors='replace')[-1500:]}")
                seen += chunk
        seen = seen[seen.index(text.encode()) + len(text):]

    def send(keys):
        time.sleep(0.3)  # as a person types: after the prompt has settled
        os.write(fd, keys.encode())

    expect("Hugging Face token:")
    send(TOKEN)
    send("\r")
    expect("Default Hugging Face model")
    send("\r")
    expect("Prefer a specific backend?")
    send("\r")
    expect("Hugging Face is set up.")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0


USER_CONFIG = """// My gateway config: comments, unknown keys and my own entries stay.
{
  agents: { defaults: {
    model: { primary: 'huggingface/Qwen/Qwen3-8B', fallbacks: ['huggingface/Qwen/Qwen3-32B'] },
  } },
  models: { providers: { huggingface: {
    models: [ { id: 'deepseek-ai/DeepSeek-R1', name: 'My own R1', alias: 'r1' } ],
  } } },
  plugins: { entries: { huggingface: { config: {
    discovery: { enabled: true, intervalSeconds: 600 },  // moved by onboarding
    billTo: 'my-org',                                      // moved by onboarding
  } } } },
  gateway: { port: 18789 },
}
"""


def at(doc, path):
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


class Configs(unittest.TestCase):
    def assert_valid(self, results):
        bad = {str(p): issues for p, (valid, issues) in results.items() if not valid}
        self.assertEqual(bad, {}, json.dumps(bad, indent=1))

    def test_every_example_and_readme_config_validates(self):
        paths = sorted((ROOT / "examples" / "configs").glob("*.json5"))
        self.assertGreaterEqual(len(paths), 7)
        blocks = re.findall(r"```json5\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
        self.assertTrue(blocks, "the README shows its config")
        scratch = Path(tempfile.mkdtemp())
        for i, block in enumerate(blocks):
            path = scratch / f"readme-{i}.json5"
            path.write_text(block)
            paths.append(path)
        self.assert_valid(validate_all(paths))

    def test_what_onboarding_writes_validates(self):
        written = []
        # Non-interactive: fresh, then again (nothing may change).
        fresh = Home()
        for _ in range(2):
            out = fresh.test_host(
                "onboard", "--non-interactive", "--mode", "local",
                "--auth-choice", "huggingface-api-key", "--huggingface-api-key", TOKEN,
            )
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            written.append(fresh.config.read_bytes())
        self.assertEqual(written[0], written[1], "a second run changed the file")
        # A user's commented config with unknown keys and settings in the
        # places the gateway refuses (onboarding moves them).
        user = Home()
        user.config.write_text(USER_CONFIG)
        before = validate(user.config)
        self.assertFalse(before[0], "the old places must be refused by the gateway itself")
        out = user.test_host(
            "onboard", "--non-interactive", "--mode", "local",
            "--auth-choice", "huggingface-api-key", "--huggingface-api-key", TOKEN,
        )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        text = user.config.read_text()
        for kept in ["// My gateway config", "gateway: { port: 18789 }", "name: 'My own R1'", "// moved by onboarding"]:
            self.assertIn(kept, text)
        # Interactive, in a pseudo-terminal.
        interactive = Home()
        drive_interactive_onboarding(interactive)
        self.assert_valid(validate_all([fresh.config, user.config, interactive.config]))

    def test_non_interactive_onboarding_writes_what_the_gateways_own_writes(self):
        ours, theirs = Home(), Home()
        out = ours.test_host(
            "onboard", "--non-interactive", "--mode", "local",
            "--auth-choice", "huggingface-api-key", "--huggingface-api-key", TOKEN,
        )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        out = theirs.openclaw(
            "onboard", "--non-interactive", "--mode", "local", "--auth-choice", "huggingface-api-key",
            "--huggingface-api-key", TOKEN, "--accept-risk", "--skip-health",
        )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        a, b = read_json(ours.config), read_json(theirs.config)
        default = "huggingface/deepseek-ai/DeepSeek-R1"
        for path in [
            ("agents", "defaults", "model", "primary"),
            ("agents", "defaults", "models", default, "alias"),
            ("auth", "profiles", "huggingface:default", "provider"),
            ("auth", "profiles", "huggingface:default", "mode"),
            ("models", "mode"),
            ("models", "providers", "huggingface", "baseUrl"),
            ("models", "providers", "huggingface", "api"),
            ("models", "providers", "huggingface", "models"),
            ("plugins", "entries", "huggingface", "enabled"),
        ]:
            with self.subTest(path=".".join(path)):
                self.assertIsNotNone(at(b, path), "the gateway wrote nothing there")
                self.assertEqual(at(a, path), at(b, path))


if __name__ == "__main__":
    unittest.main()
