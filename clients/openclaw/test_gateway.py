"""The real OpenClaw gateway and the config file it shares with test-host.

- Every config the project writes or documents is valid for the gateway's
  own validator (`openclaw config validate --json`) with our plugin package
  (examples/openclaw-plugin, id `huggingface`) installed: the example
  configs, the README's, and what `test-host onboard` writes, interactively
  and not, on a fresh, a re-run and a user's commented config with settings
  in the places test-host moves them from.
- Our non-interactive onboarding writes what the gateway's own does, and
  the gateway's next write of that config (installing the package) keeps
  every model allowed.

`clients/run` sets ROOT, OPENCLAW_BIN_DIR (Node 26 and the `openclaw`
command), TEST_HOST, PLUGIN and MOCK_URL (the mock router).
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import home

ROOT = Path(os.environ["ROOT"])
TEST_HOST = os.environ["TEST_HOST"]
PLUGIN = os.environ["PLUGIN"]
MOCK_URL = os.environ["MOCK_URL"]
PACKAGE = ROOT / "examples" / "openclaw-plugin"
TOKEN = "hf_gateway_test_token_0123456789"


class Home(home.Home):
    """An isolated gateway home (see home.py) that also runs `test-host`."""

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


def read_json(path):
    """A config both tools wrote from nothing: plain JSON."""
    return json.loads(Path(path).read_text())


def install_package(home):
    """`openclaw plugins install --link` of our package into `home`."""
    out = home.openclaw("plugins", "install", "--link", "--force", "--accept-capabilities", str(PACKAGE))
    assert out.returncode == 0, out.stdout + out.stderr


# One gateway home with the plugin package installed: the validator needs
# it to check `plugins.entries.huggingface.config` against our schema (the
# bundled provider's accepts only `discovery.enabled`).
VALIDATOR = None


def validator():
    global VALIDATOR
    if VALIDATOR is None:
        home = Home()
        install_package(home)
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


def gateway_get(path, key):
    """`openclaw config get KEY --json` on `path`, as the gateway reads it."""
    out = validator().openclaw("config", "get", key, "--json", config=path)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def validate_all(paths):
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(paths, pool.map(validate, paths)))


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
  plugins: { entries: {
    // moved by onboarding from the package's earlier id
    'hf-plugin': { config: {
      discovery: { enabled: true, intervalSeconds: 600 },
      billTo: 'my-org',
    } },
  } },
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
        # A user's commented config with unknown keys and settings in places
        # the gateway refuses (an alias in a model entry) or ignores (the
        # package's earlier entry); onboarding moves them.
        user = Home()
        user.config.write_text(USER_CONFIG)
        before = validate(user.config)
        self.assertFalse(before[0], "the alias in a model entry must be refused by the gateway itself")
        out = user.test_host(
            "onboard", "--non-interactive", "--mode", "local",
            "--auth-choice", "huggingface-api-key", "--huggingface-api-key", TOKEN,
        )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("plugins.entries.hf-plugin.config.billTo -> plugins.entries.huggingface.config.billTo", out.stdout)
        text = user.config.read_text()
        for kept in ["// My gateway config", "gateway: { port: 18789 }", "name: 'My own R1'"]:
            self.assertIn(kept, text)
        # The old entry is gone with its settings (the gateway would warn of
        # a stale entry), and the gateway reads them in their new place.
        self.assertNotIn("hf-plugin", text)
        self.assertEqual(
            gateway_get(user.config, "plugins.entries.huggingface.config"),
            {"billTo": "my-org", "discovery": {"enabled": True, "intervalSeconds": 600}},
        )
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
            ("meta", "migrations", "modelPolicyAllowlist"),
        ]:
            with self.subTest(path=".".join(path)):
                self.assertIsNotNone(at(b, path), "the gateway wrote nothing there")
                self.assertEqual(at(a, path), at(b, path))

    def test_the_gateways_next_write_keeps_every_model_allowed(self):
        # Without the marker onboarding writes, the gateway's next write of
        # the config would turn `agents.defaults.models` (the default
        # model's alias) into `agents.defaults.modelPolicy.allow`, refusing
        # every other model.
        home = Home()
        out = home.test_host(
            "onboard", "--non-interactive", "--mode", "local",
            "--auth-choice", "huggingface-api-key", "--huggingface-api-key", TOKEN,
        )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        install_package(home)
        config = read_json(home.config)
        default = "huggingface/deepseek-ai/DeepSeek-R1"
        self.assertIsNone(at(config, ("agents", "defaults", "modelPolicy")), json.dumps(config, indent=1))
        self.assertEqual(at(config, ("agents", "defaults", "models", default, "alias")), "Hugging Face")
        self.assert_valid({home.config: validate(home.config)})
        # And test-host, run again, has nothing to change.
        before = home.config.read_bytes()
        out = home.test_host(
            "onboard", "--non-interactive", "--mode", "local",
            "--auth-choice", "huggingface-api-key", "--huggingface-api-key", TOKEN,
        )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(home.config.read_bytes(), before)


if __name__ == "__main__":
    unittest.main()
