"""The gateway package (examples/openclaw-plugin) in the real OpenClaw gateway:
the provider plugin in the gateway's own process, through the host-node
addon, installed from the tarball `npm pack` makes -- no process of ours
beside the gateway.

- Embedded agent turns (`openclaw agent --local`): a streamed answer with the
  serving backend's cost, reasoning kept as thinking, a tool call the gateway
  runs, then every kind of failure with the gateway's phrase for it and our
  text (with the router's request id) in its log, and no retries on top of
  the plugin's own; a fallback model taking over; an aborted turn closing the
  upstream connection.
- A running gateway (`openclaw gateway run`): the plugin's live catalog
  without --refresh, 50 concurrent turns, errors, a settings change applied
  on the next turn, and a new plugin build swapped in while turns stream.
- The serve transport: the same package with `transport.mode: serve`, in
  front of `test-host serve`.

clients/run sets ROOT, OPENCLAW_BIN_DIR, TEST_HOST, PACKAGE_TGZ (the packed
package, carrying the debug builds), SERVE_URL / SERVE_KEY and MOCK_URL (a
`test-host serve` with discovery on in front of a mock router that takes any
token). This file starts its own mock router, which takes only TOKEN.
"""

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from home import BIN, Home

TEST_HOST = os.environ["TEST_HOST"]
# The scriptable test plugin: `cargo test` builds the second, `cargo build` the first.
COMPAT_PLUGIN = max(
    (p for d in ["target/debug", "target/debug/deps"] if (p := Path(os.environ["ROOT"]) / d / "libcompat_plugin.so").exists()),
    key=lambda p: p.stat().st_mtime,
)
PACKAGE_TGZ = os.environ["PACKAGE_TGZ"]
TOKEN = "hf_gateway_native_test_token_0123"
REASONING_TEXT = "The user sent a message. I will echo it back politely."
MAX_ATTEMPTS = 2
MOCK = None  # (url, process)


def setUpModule():
    global MOCK
    process = subprocess.Popen(
        [TEST_HOST, "mock-router", "--listen", "127.0.0.1:0", "--require-token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    match = re.match(r"mock router listening on (\S+?);", line)
    assert match, line
    MOCK = (match.group(1), process)


def tearDownModule():
    if MOCK:
        MOCK[1].terminate()


def stats(url=None):
    base = (url or MOCK[0]).removesuffix("/v1")
    with urllib.request.urlopen(f"{base}/mock/stats") as r:
        return json.load(r)


def requests_for(model, url=None):
    return stats(url)["chat_requests_by_model"].get(model, 0)


def base_config(**plugin):
    return {
        "meta": {"migrations": {"modelPolicyAllowlist": True}},
        "models": {"providers": {"huggingface": {"baseUrl": MOCK[0], "api": "openai-completions", "models": []}}},
        "agents": {"defaults": {"model": {"primary": "huggingface/Qwen/Qwen3-8B"}}},
        "plugins": {"entries": {"huggingface": {"config": {"retry": {"maxAttempts": MAX_ATTEMPTS, "baseDelayMs": 100}, **plugin}}}},
    }


def install(home, config):
    """Installs the package, then writes `config`: until the package is in,
    the gateway checks `plugins.entries.huggingface.config` against its bundled
    provider's schema, and refuses our settings there."""
    home.write_config({})
    out = home.openclaw("plugins", "install", "--force", "--accept-capabilities", PACKAGE_TGZ)
    assert out.returncode == 0, out.stdout + out.stderr
    installed = json.loads(home.config.read_text())
    home.write_config({**installed, **config, "plugins": {**installed.get("plugins", {}), **config.get("plugins", {})}})


class Turn:
    """One `openclaw agent --local --json` run."""

    def __init__(self, home, message, model=None, config=None, token=TOKEN, extra=(), env=None, timeout=240):
        self.session = f"s{time.monotonic_ns()}"
        args = ["agent", "--local", "--message", message, "--session-id", self.session, "--json", *extra]
        if model:
            args += ["--model", model]
        env = {**({"HF_TOKEN": token} if token else {}), **(env or {})}
        started = time.time()
        out = home.openclaw(*args, config=config, timeout=timeout, **env)
        self.seconds = time.time() - started
        self.rc, self.stdout, self.stderr = out.returncode, out.stdout, out.stderr
        try:
            self.json = json.loads(out.stdout)
        except json.JSONDecodeError:
            self.json = None

    @property
    def text(self):
        return (self.json or {}).get("payloads", [{}])[0].get("text", "")

    @property
    def error(self):
        return (self.json or {}).get("error", {}).get("message", "")

    @property
    def meta(self):
        return (self.json or {}).get("meta", {}).get("agentMeta", {})

    def describe(self):
        return f"rc={self.rc} stdout={self.stdout[-1500:]} stderr={self.stderr[-3000:]}"


def transcript(home, session):
    """The session's transcript events, from the gateway's agent database."""
    db = home.state / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    script = (
        "import { DatabaseSync } from 'node:sqlite';"
        "const d = new DatabaseSync(process.argv[1], { readOnly: true });"
        "for (const r of d.prepare('select event_json from transcript_events where session_id = ? order by seq')"
        ".all(process.argv[2])) console.log(r.event_json);"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script, str(db), session],
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def variant(home, name, change):
    """Another config file of `home` (the package stays installed): a copy of
    its config with `change(config)` applied."""
    config = json.loads(home.config.read_text())
    change(config)
    return home.write_config(config, home.dir / f"{name}.json")


class Embedded(unittest.TestCase):
    """Agent turns in `openclaw agent --local`, run side by side (each one
    spends most of its time starting the gateway's runtime). One gateway
    home per worker: two embedded agents cannot share a state directory."""

    WORKERS = 3

    @classmethod
    def setUpClass(cls):
        homes = queue.Queue()
        for _ in range(cls.WORKERS):
            home = Home()
            install(home, base_config())
            variant(home, "down", lambda c: c["models"]["providers"]["huggingface"].update(baseUrl=f"http://127.0.0.1:{free_port()}/v1"))
            variant(
                home,
                "fallback",
                lambda c: c["agents"]["defaults"].update(
                    model={"primary": "huggingface/mock/status-503", "fallbacks": ["huggingface/Qwen/Qwen3-32B"]}
                ),
            )
            homes.put(home)
        cls.homes = homes

        def turn(message, model=None, config=None, **kw):
            home = homes.get()
            try:
                t = Turn(home, message, model, config=home.dir / f"{config}.json" if config else None, **kw)
                t.home = home
                return t
            finally:
                homes.put(home)

        # A plugin that panics on request (the scriptable test plugin) in
        # the package's place, beside the same addon.
        panicking = Path(tempfile.mkdtemp(prefix="panicking-plugin-"))
        shutil.copyfile(os.environ["HOST_NODE_ADDON"], panicking / "host-node.linux-x64-gnu.node")
        shutil.copyfile(COMPAT_PLUGIN, panicking / "libhuggingface_provider.so")
        runs = {
            "answer": lambda: turn("Hello there", "huggingface/deepseek-ai/DeepSeek-R1"),
            "panic": lambda: turn("Hello", "huggingface/panic", env={"OPENCLAW_HF_NATIVE_DIR": str(panicking)}),
            "tool": lambda: turn("List the files", "huggingface/mock/tool-once"),
            "unknown": lambda: turn("Hello", "huggingface/deepseek-ai/DeepSeek-R2"),
            "suffix": lambda: turn("Hello", "huggingface/deepseek-ai/DeepSeek-R1:nosuchbackend"),
            "token": lambda: turn("Hello", "huggingface/Qwen/Qwen3-8B", token="hf_refused_by_the_mock"),
            "rate": lambda: turn("Hello", "huggingface/mock/rate-limit"),
            "down": lambda: turn("Hello", "huggingface/Qwen/Qwen3-8B", config="down"),
            "fallback": lambda: turn("Hello", config="fallback"),
        }
        started = time.time()
        with ThreadPoolExecutor(max_workers=cls.WORKERS) as pool:
            futures = {name: pool.submit(run) for name, run in runs.items()}
            cls.turns = {name: f.result() for name, f in futures.items()}
        print(f"\n  {len(runs)} embedded turns: {time.time() - started:.0f} s", flush=True)

    def test_a_streamed_answer_with_reasoning_as_thinking_and_the_serving_backends_cost(self):
        t = self.turns["answer"]
        self.assertEqual(t.rc, 0, t.describe())
        self.assertTrue(t.text.startswith("Hello! You said: "), t.text[:200])
        self.assertEqual(t.meta["provider"], "huggingface")
        cost = t.meta["usage"]["cost"]
        self.assertGreater(cost["total"], 0, cost)
        self.assertEqual(cost["totalOrigin"], "provider-billed")
        blocks = [
            block
            for event in transcript(t.home, t.session)
            for block in (event.get("message") or {}).get("content") or []
            if isinstance(block, dict) and block.get("type") == "thinking"
        ]
        self.assertEqual([b["thinking"] for b in blocks], [REASONING_TEXT])

    def test_a_tool_call_is_run_by_the_gateway_and_answered(self):
        t = self.turns["tool"]
        self.assertEqual(t.rc, 0, t.describe())
        self.assertTrue(t.text.startswith("The tool said: "), t.text[:200])
        self.assertEqual(requests_for("mock/tool-once"), 2, "one call for the tool, one for the answer")

    def test_an_unknown_model_is_not_found_with_the_closest_refs(self):
        t = self.turns["unknown"]
        self.assertNotEqual(t.rc, 0, t.describe())
        self.assertIn("not found", t.error + t.text, t.describe())
        self.assertIn("did you mean huggingface/deepseek-ai/DeepSeek-R1", t.stderr, t.describe())

    def test_a_backend_the_model_does_not_have_is_refused_before_sending(self):
        t = self.turns["suffix"]
        self.assertNotEqual(t.rc, 0, t.describe())
        self.assertIn("[huggingface] backend 'nosuchbackend' does not serve this model", t.error, t.describe())
        self.assertIn("live backends", t.error)

    def test_a_refused_token_says_authentication_and_how_to_replace_it(self):
        t = self.turns["token"]
        self.assertNotEqual(t.rc, 0, t.describe())
        self.assertRegex(t.error + t.text, r"(?i)authenticat", t.describe())
        self.assertIn("[huggingface] auth", t.stderr, t.describe())
        self.assertIn("request id mock-", t.stderr)
        self.assertIn("openclaw models auth paste-api-key --provider huggingface", t.stderr)

    def test_a_rate_limit_is_retried_by_the_plugin_only(self):
        t = self.turns["rate"]
        self.assertNotEqual(t.rc, 0, t.describe())
        self.assertRegex(t.error + t.text, r"(?i)rate limit", t.describe())
        self.assertRegex(t.stderr, r"429 Too Many Requests: \[huggingface\] rate_limited: .*request id mock-")
        self.assertEqual(requests_for("mock/rate-limit"), MAX_ATTEMPTS, "the gateway retried on top of the plugin")

    def test_a_router_that_is_down_is_a_connection_failure(self):
        t = self.turns["down"]
        self.assertNotEqual(t.rc, 0, t.describe())
        self.assertIn("[huggingface] network", t.stderr, t.describe())
        self.assertRegex(t.error + t.text, r"(?i)connection|timed out|failed", t.describe())

    def test_a_fallback_model_answers_when_the_primary_is_unavailable(self):
        t = self.turns["fallback"]
        self.assertEqual(t.rc, 0, t.describe())
        self.assertTrue(t.text.startswith("Hello! You said: "), t.text[:200])
        self.assertEqual(t.meta["model"], "Qwen/Qwen3-32B")
        # A model still loading is not waited for, by the plugin or the gateway.
        self.assertEqual(requests_for("mock/status-503"), 1)

    def test_a_plugin_panic_is_an_error_of_the_turn_and_the_gateway_lives(self):
        t = self.turns["panic"]
        # An error exit with the gateway's own report, not a crash (a
        # signal, or abi_stable's abort with exit status 1 and no report).
        self.assertEqual(t.rc, 1, t.describe())
        self.assertTrue(t.error or t.text, t.describe())
        self.assertIn("[huggingface] plugin_panicked", t.stderr, t.describe())
        self.assertIn("deliberate panic", t.stderr)

    def test_z_an_aborted_turn_closes_the_upstream_connection(self):
        # Alone, after the others: the mock's count of answers being written is global.
        home = self.homes.get()
        t = Turn(home, "one two three four five six seven eight nine ten", "huggingface/mock/slow-200", extra=["--timeout", "3"])
        self.assertGreater(requests_for("mock/slow-200"), 0, t.describe())
        deadline = time.time() + 5
        while stats()["live_responses"] and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(stats()["live_responses"], 0, "the answer is still being written")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Running(unittest.TestCase):
    """One `openclaw gateway run`, with its OpenAI-compatible endpoint on, so
    turns are plain HTTP requests."""

    @classmethod
    def setUpClass(cls):
        cls.home = Home()
        cls.port = free_port()
        cls.gateway_token = "gateway-test-token"
        config = base_config()
        config["gateway"] = {"mode": "local", "http": {"endpoints": {"chatCompletions": {"enabled": True}}}}
        install(cls.home, config)
        cls.log = open(cls.home.dir / "gateway.log", "w+")
        cls.process = subprocess.Popen(
            ["openclaw", "gateway", "run", "--bind", "loopback", "--port", str(cls.port), "--auth", "token", "--token", cls.gateway_token],
            env=cls.home.env(HF_TOKEN=TOKEN),
            stdin=subprocess.DEVNULL,
            stdout=cls.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started = time.time()
        deadline = started + 180
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{cls.port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if cls.process.poll() is not None:
                raise AssertionError(f"the gateway exited: {cls.gateway_log()[-3000:]}")
            time.sleep(0.5)
        else:
            raise AssertionError(f"the gateway was not ready: {cls.gateway_log()[-3000:]}")
        print(f"\n  gateway ready in {time.time() - started:.0f} s", flush=True)

    @classmethod
    def tearDownClass(cls):
        os.killpg(cls.process.pid, signal.SIGTERM)
        try:
            cls.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(cls.process.pid, signal.SIGKILL)
        cls.log.close()

    @classmethod
    def gateway_log(cls):
        cls.log.flush()
        return (cls.home.dir / "gateway.log").read_text(errors="replace")

    def cli(self, *args, **extra):
        return self.home.openclaw(*args, OPENCLAW_GATEWAY_PORT=str(self.port), OPENCLAW_GATEWAY_TOKEN=self.gateway_token, **extra)

    def chat(self, model, text, timeout=240):
        """One turn through the gateway's /v1/chat/completions: (status, body)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/chat/completions",
            data=json.dumps({"model": "openclaw", "messages": [{"role": "user", "content": text}]}).encode(),
            headers={
                "Authorization": f"Bearer {self.gateway_token}",
                "Content-Type": "application/json",
                "x-openclaw-model": model,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    @staticmethod
    def content(body):
        return ((body.get("choices") or [{}])[0].get("message") or {}).get("content") or ""

    def wait_for_log(self, pattern, since=0, timeout=60):
        """Waits for `pattern` in the gateway's log after its first `since` characters."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.gateway_log()[since:]):
                return
            time.sleep(0.25)
        self.fail(f"no {pattern!r} in the gateway's log: {self.gateway_log()[-3000:]}")

    def test_1_the_live_catalog_is_listed_without_refresh(self):
        deadline = time.time() + 60
        keys = set()
        while time.time() < deadline:
            out = self.cli("models", "list", "--provider", "huggingface", "--json")
            if out.returncode == 0:
                listed = json.loads(out.stdout)
                models = listed["models"] if isinstance(listed, dict) else listed
                keys = {m.get("key") or m.get("id") for m in models}
                if "huggingface/mock/echo" in keys:
                    break
            time.sleep(1)
        for ref in ["huggingface/deepseek-ai/DeepSeek-R1", "huggingface/mock/echo", "huggingface/Qwen/Qwen3-8B"]:
            self.assertIn(ref, keys, sorted(keys)[:20])

    def test_2_fifty_concurrent_turns(self):
        started = time.time()
        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(lambda i: self.chat("huggingface/Qwen/Qwen3-8B", f"turn {i}"), range(50)))
        failed = [(s, b) for s, b in results if s != 200 or not self.content(b).startswith("Hello! You said: ")]
        self.assertEqual(failed, [], f"{len(failed)} of 50 failed")
        print(f"\n  50 concurrent turns: {time.time() - started:.1f} s", flush=True)

    def test_3_a_rate_limit_gets_the_phrase_our_text_in_the_log_and_no_extra_retries(self):
        before = requests_for("mock/rate-limit")
        status, body = self.chat("huggingface/mock/rate-limit", "Hello")
        text = json.dumps(body)
        self.assertRegex(text, r"(?i)rate limit", text)
        self.assertEqual(requests_for("mock/rate-limit") - before, MAX_ATTEMPTS)
        self.wait_for_log(r"429 Too Many Requests: \[huggingface\] rate_limited: .*request id mock-")

    def test_4_unknown_models_and_backends_and_a_router_that_is_down(self):
        status, body = self.chat("huggingface/deepseek-ai/DeepSeek-R2", "Hello")
        self.assertRegex(json.dumps(body), r"(?i)not.found|unknown model", body)
        self.wait_for_log(r"did you mean huggingface/deepseek-ai/DeepSeek-R1")
        status, body = self.chat("huggingface/deepseek-ai/DeepSeek-R1:nosuchbackend", "Hello")
        self.assertIn("backend 'nosuchbackend' does not serve this model", json.dumps(body) + self.gateway_log(), body)
        mark = len(self.gateway_log())
        out = self.cli("config", "set", "models.providers.huggingface.baseUrl", f"http://127.0.0.1:{free_port()}/v1")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.wait_for_log(r"config hot reload applied", since=mark)
        status, body = self.chat("huggingface/Qwen/Qwen3-8B", "Hello")
        self.assertNotEqual(self.content(body)[:17], "Hello! You said: ", body)
        self.wait_for_log(r"\[huggingface\] network: ", since=mark)
        mark = len(self.gateway_log())
        out = self.cli("config", "set", "models.providers.huggingface.baseUrl", MOCK[0])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.wait_for_log(r"config hot reload applied", since=mark)
        status, body = self.chat("huggingface/Qwen/Qwen3-8B", "back again")
        self.assertTrue(self.content(body).startswith("Hello! You said: "), body)

    def test_5_a_settings_change_applies_on_the_next_turn(self):
        mark = len(self.gateway_log())
        out = self.cli("config", "set", "plugins.entries.huggingface.config.retry.maxAttempts", "1")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.wait_for_log(r"config hot reload applied", since=mark)
        before = requests_for("mock/rate-limit")
        self.chat("huggingface/mock/rate-limit", "Hello")
        self.assertEqual(requests_for("mock/rate-limit") - before, 1, "the old retry.maxAttempts is still in force")

    def test_6_a_new_plugin_build_is_swapped_in_while_turns_stream(self):
        installed = next((self.home.state / "extensions").glob("*/npm/*/libhuggingface_provider.so"))
        with ThreadPoolExecutor(max_workers=10) as pool:
            streaming = [pool.submit(self.chat, "huggingface/mock/slow-200", f"slow turn {i}") for i in range(10)]
            time.sleep(2)
            # Another build: the same library with other bytes after its image.
            replacement = installed.with_suffix(".new")
            shutil.copyfile(installed, replacement)
            with open(replacement, "ab") as f:
                f.write(b"another build")
            os.replace(replacement, installed)
            mark = len(self.gateway_log())
            out = self.cli("config", "set", "plugins.entries.huggingface.config.discovery.intervalSeconds", "901")
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.wait_for_log(r"config hot reload applied", since=mark)
            status, body = self.chat("huggingface/Qwen/Qwen3-8B", "after the swap")
            self.assertEqual(status, 200, body)
            results = [f.result() for f in streaming]
        failed = [(s, b) for s, b in results if s != 200 or not self.content(b).startswith("Hello! You said: ")]
        self.assertEqual(failed, [], f"{len(failed)} of 10 failed")
        self.wait_for_log(r"\[huggingface\] plugin .* swapped for")


    def test_7_a_refused_token_through_the_running_gateway(self):
        # A saved auth profile comes before HF_TOKEN: save a token the mock refuses.
        out = self.cli("models", "auth", "paste-api-key", "--provider", "huggingface", input="hf_refused_by_the_mock\n")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        mark = len(self.gateway_log())
        status, body = self.chat("huggingface/Qwen/Qwen3-8B", "Hello")
        self.assertRegex(json.dumps(body), r"(?i)authenticat", body)
        self.wait_for_log(r"\[huggingface\] auth: .*request id mock-.*openclaw models auth paste-api-key", since=mark)


class DropIn(unittest.TestCase):
    """The package in the bundled provider's place: the gateway's own
    onboarding flags work through it, and its doctor finds nothing wrong."""

    def test_openclaw_onboard_with_the_package_then_a_turn_with_the_saved_token(self):
        home = Home()
        install(home, {})
        out = home.openclaw(
            "onboard", "--non-interactive", "--mode", "local", "--auth-choice", "huggingface-api-key",
            "--huggingface-api-key", TOKEN, "--accept-risk", "--skip-health",
        )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        config = json.loads(home.config.read_text())
        self.assertEqual(config["agents"]["defaults"]["model"]["primary"], "huggingface/deepseek-ai/DeepSeek-R1")
        self.assertEqual(config["models"]["providers"]["huggingface"]["api"], "openai-completions")
        config["models"]["providers"]["huggingface"]["baseUrl"] = MOCK[0]
        home.write_config(config)
        out = home.openclaw("plugins", "doctor")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertNotIn("already registered", out.stdout + out.stderr)
        # No HF_TOKEN: the token is the one onboarding saved in the gateway's store.
        t = Turn(home, "Hello", token=None)
        self.assertEqual(t.rc, 0, t.describe())
        self.assertTrue(t.text.startswith("Hello! You said: "), t.text[:200])
        self.assertEqual(t.meta["credentialSource"]["kind"], "profile")
        # Offline (no gateway running): a ref among the built-in models is
        # checked against the manifest's catalog, not just saved. (`models
        # list` without a gateway or --refresh lists no provider's models,
        # the bundled ones' neither: the gateway keeps live lists in memory.)
        out = home.openclaw("models", "set", "huggingface/Qwen/Qwen3-8B")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertNotIn("could not be checked", out.stdout + out.stderr)
        self.assertNotIn("not in the local model catalog", out.stdout + out.stderr)


class ServeTransport(unittest.TestCase):
    """The package with `transport.mode: serve`: the plugin in `test-host serve`."""

    def test_a_turn_and_a_rate_limit_through_serve(self):
        home = Home()
        config = base_config(transport={"mode": "serve", "url": os.environ["SERVE_URL"]})
        install(home, config)
        key = {"OPENCLAW_HF_SERVE_KEY": os.environ["SERVE_KEY"]}
        session = f"serve{time.monotonic_ns()}"
        out = home.openclaw("agent", "--local", "--message", "Hello", "--session-id", session, "--json", timeout=240, **key)
        self.assertEqual(out.returncode, 0, out.stdout[-1500:] + out.stderr[-3000:])
        answer = json.loads(out.stdout)
        self.assertTrue(answer["payloads"][0]["text"].startswith("Hello! You said: "))
        self.assertGreater(answer["meta"]["agentMeta"]["usage"]["cost"]["total"], 0)
        out = home.openclaw(
            "agent", "--local", "--message", "Hello", "--session-id", session + "r", "--json",
            "--model", "huggingface/mock/rate-limit", timeout=240, **key,
        )
        self.assertNotEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"(?i)rate limit")
        self.assertRegex(out.stderr, r"429 Too Many Requests: \[huggingface\] rate_limited: .*request id mock-")

    def test_serve_down_or_a_wrong_local_key_say_what_to_do_at_once(self):
        home = Home()
        down = f"http://127.0.0.1:{free_port()}/v1"
        install(home, base_config(transport={"mode": "serve", "url": down}))
        wrong_key = variant(home, "wrong-key", lambda c: c["plugins"]["entries"]["huggingface"]["config"].update(
            transport={"mode": "serve", "url": os.environ["SERVE_URL"]}))
        key = {"OPENCLAW_HF_SERVE_KEY": "not-the-key"}
        # One after the other: two embedded agents cannot share a state directory.
        started_down, started_key = (
            home.openclaw(
                "agent", "--local", "--message", "Hello", "--session-id", f"s{time.monotonic_ns()}", "--json",
                "--model", "huggingface/Qwen/Qwen3-8B", config=config, timeout=240, **key,
            )
            for config in [None, wrong_key]
        )
        self.assertNotEqual(started_down.returncode, 0)
        self.assertIn(f"nothing usable answers at {down}", started_down.stderr)
        self.assertIn("start the endpoint with `test-host serve`", started_down.stderr)
        self.assertNotIn("same-model retry", started_down.stderr, "the gateway retried on top")
        self.assertNotEqual(started_key.returncode, 0)
        self.assertRegex(started_key.stdout, r"(?i)authenticat")
        self.assertIn("refused the local key", started_key.stderr)
        self.assertIn("test-host serve --print-key", started_key.stderr)


if __name__ == "__main__":
    unittest.main()
