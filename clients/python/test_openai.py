"""The official `openai` Python client against `test-host serve`.

`clients/run` starts the mock router and the server and sets SERVE_URL,
SERVE_KEY and MOCK_URL. The answers are the mock router's scripted ones.
"""

import json
import os
import time
import unittest
import urllib.request

import openai

SERVE_URL = os.environ["SERVE_URL"]
SERVE_KEY = os.environ["SERVE_KEY"]
MOCK_URL = os.environ["MOCK_URL"]

# The mock answers every prompt with this, followed by the prompt.
ANSWER = "Hello! You said: "
REASONING = "The user sent a message. I will echo it back politely."
TOOL_CALLS = [
    ("call_mock_1", "get_weather", {"city": "Paris", "unit": "celsius"}),
    ("call_mock_2", "get_time", {"timezone": "Europe/Paris"}),
]
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}},
]


def client(key=SERVE_KEY):
    # Retries are the plugin's job; the client must see each error once.
    return openai.OpenAI(base_url=SERVE_URL, api_key=key, max_retries=0, timeout=30)


def mock_stats():
    with urllib.request.urlopen(MOCK_URL.removesuffix("/v1") + "/mock/stats") as r:
        return json.load(r)


def user(text):
    return [{"role": "user", "content": text}]


class Models(unittest.TestCase):
    def test_the_catalog_is_an_openai_model_list(self):
        models = {m.id: m for m in client().models.list()}
        self.assertIn("deepseek-ai/DeepSeek-R1", models)
        r1 = models["deepseek-ai/DeepSeek-R1"]
        self.assertEqual(r1.object, "model")
        self.assertEqual(r1.owned_by, "deepseek-ai")
        # Our metadata rides along as extra fields.
        self.assertTrue(r1.model_extra["reasoning"])
        self.assertGreater(r1.model_extra["context_window"], 0)


class Chat(unittest.TestCase):
    def test_a_whole_answer(self):
        completion = client().chat.completions.create(
            model="Qwen/Qwen3-8B", messages=user("whole please")
        )
        self.assertEqual(completion.object, "chat.completion")
        self.assertEqual(completion.choices[0].message.content, ANSWER + "whole please")
        self.assertEqual(completion.choices[0].finish_reason, "stop")
        self.assertGreater(completion.usage.total_tokens, 0)

    def test_a_streamed_answer_with_reasoning_and_usage(self):
        stream = client().chat.completions.create(
            model="huggingface/deepseek-ai/DeepSeek-R1",
            messages=user("stream please"),
            stream=True,
            stream_options={"include_usage": True},
        )
        content, reasoning, usage, finish = "", "", None, None
        for chunk in stream:
            if chunk.usage:
                usage = chunk.usage
            for choice in chunk.choices:
                content += choice.delta.content or ""
                reasoning += (choice.delta.model_extra or {}).get("reasoning_content") or ""
                finish = choice.finish_reason or finish
        self.assertEqual(content, ANSWER + "stream please")
        self.assertEqual(reasoning, REASONING)
        self.assertEqual(finish, "stop")
        self.assertGreater(usage.completion_tokens, 0)

    def test_a_routing_suffix_and_an_alias_free_ref(self):
        completion = client().chat.completions.create(
            model="Qwen/Qwen3-8B:cheapest", messages=user("cheap")
        )
        self.assertEqual(completion.choices[0].message.content, ANSWER + "cheap")

    def test_tool_calls_are_assembled_by_the_library(self):
        with client().chat.completions.stream(
            model="mock/tool-calls", messages=user("weather?"), tools=TOOLS
        ) as stream:
            final = stream.get_final_completion()
        calls = final.choices[0].message.tool_calls
        got = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls]
        self.assertEqual(got, TOOL_CALLS)
        self.assertEqual(final.choices[0].finish_reason, "tool_calls")

    def test_a_client_that_leaves_mid_stream_cancels_the_upstream_request(self):
        stream = client().chat.completions.create(
            model="mock/slow:200", messages=user("a b c d e f g h"), stream=True
        )
        next(iter(stream))
        stream.close()
        deadline = time.time() + 5
        while mock_stats()["live_responses"] > 0 and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(mock_stats()["live_responses"], 0)


class Errors(unittest.TestCase):
    CASES = [
        ("mock/status:422", openai.BadRequestError, 400),
        ("mock/status:401", openai.AuthenticationError, 401),
        ("mock/status:402", openai.APIStatusError, 402),
        ("mock/status:403", openai.PermissionDeniedError, 403),
        ("mock/status:404", openai.NotFoundError, 404),
        ("no-such-alias", openai.NotFoundError, 404),
        ("mock/rate-limit", openai.RateLimitError, 429),
        ("mock/status:503", openai.InternalServerError, 503),
        ("mock/reset-before", openai.InternalServerError, 502),
        ("mock/stall-before:3000", openai.InternalServerError, 504),
    ]

    def test_every_kind_is_the_exception_the_library_raises_for_its_status(self):
        for model, exception, status in self.CASES:
            for stream in (False, True):
                with self.subTest(model=model, stream=stream):
                    with self.assertRaises(exception) as caught:
                        answer = client().chat.completions.create(
                            model=model, messages=user("x"), stream=stream
                        )
                        if stream:
                            list(answer)
                    self.assertEqual(caught.exception.status_code, status)
                    self.assertTrue(caught.exception.message)

    def test_the_upstream_401_names_the_hugging_face_token(self):
        with self.assertRaises(openai.AuthenticationError) as caught:
            client().chat.completions.create(model="mock/status:401", messages=user("x"))
        self.assertIn("Hugging Face token", str(caught.exception))

    def test_a_wrong_local_key_is_refused_before_the_router(self):
        before = mock_stats()["chat_requests"]
        with self.assertRaises(openai.AuthenticationError) as caught:
            client(key="wrong").chat.completions.create(model="Qwen/Qwen3-8B", messages=user("x"))
        self.assertEqual(caught.exception.code, "invalid_api_key")
        self.assertEqual(mock_stats()["chat_requests"], before)

    def test_a_failure_after_the_stream_started_raises_from_the_stream(self):
        stream = client().chat.completions.create(
            model="mock/stream-error", messages=user("x"), stream=True
        )
        text = ""
        with self.assertRaises(openai.APIError) as caught:
            for chunk in stream:
                for choice in chunk.choices:
                    text += choice.delta.content or ""
        self.assertTrue(text, "the text before the error arrived")
        self.assertIn("overloaded", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
