"""The official `huggingface_hub` client (InferenceClient) against `test-host serve`.

`clients/run` starts the mock router and the server and sets SERVE_URL,
SERVE_KEY and MOCK_URL. The answers are the mock router's scripted ones.
"""

import json
import os
import unittest

from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError

SERVE_URL = os.environ["SERVE_URL"]
SERVE_KEY = os.environ["SERVE_KEY"]

ANSWER = "Hello! You said: "
REASONING = "The user sent a message. I will echo it back politely."
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}},
]


def client(key=SERVE_KEY):
    return InferenceClient(base_url=SERVE_URL, api_key=key, timeout=30)


def user(text):
    return [{"role": "user", "content": text}]


class Chat(unittest.TestCase):
    def test_a_whole_answer(self):
        out = client().chat_completion(user("hub whole"), model="Qwen/Qwen3-8B")
        self.assertEqual(out.choices[0].message.content, ANSWER + "hub whole")
        self.assertEqual(out.choices[0].finish_reason, "stop")
        self.assertGreater(out.usage.total_tokens, 0)

    def test_a_streamed_answer_with_reasoning(self):
        content, reasoning = "", ""
        # The client owns the open response: keep it alive while streaming.
        hub = client()
        for chunk in hub.chat_completion(
            user("hub stream"), model="deepseek-ai/DeepSeek-R1", stream=True
        ):
            for choice in chunk.choices:
                content += choice.delta.content or ""
                reasoning += getattr(choice.delta, "reasoning_content", None) or ""
        self.assertEqual(content, ANSWER + "hub stream")
        self.assertEqual(reasoning, REASONING)

    def test_the_openai_style_alias_and_tool_calls(self):
        out = client().chat.completions.create(
            model="mock/tool-calls", messages=user("weather?"), tools=TOOLS
        )
        calls = out.choices[0].message.tool_calls
        got = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls]
        self.assertEqual(
            got,
            [
                ("call_mock_1", "get_weather", {"city": "Paris", "unit": "celsius"}),
                ("call_mock_2", "get_time", {"timezone": "Europe/Paris"}),
            ],
        )


class Errors(unittest.TestCase):
    def test_errors_carry_the_status_and_the_servers_message(self):
        for model, status in [
            ("mock/status:401", 401),
            ("mock/status:402", 402),
            ("mock/status:403", 403),
            ("no-such-alias", 404),
            ("mock/rate-limit", 429),
            ("mock/status:503", 503),
        ]:
            with self.subTest(model=model):
                with self.assertRaises(HfHubHTTPError) as caught:
                    client().chat_completion(user("x"), model=model)
                self.assertEqual(caught.exception.response.status_code, status)
                body = caught.exception.response.json()
                self.assertTrue(body["error"]["message"])

    def test_a_wrong_local_key(self):
        with self.assertRaises(HfHubHTTPError) as caught:
            client(key="wrong").chat_completion(user("x"), model="Qwen/Qwen3-8B")
        self.assertEqual(caught.exception.response.status_code, 401)


if __name__ == "__main__":
    unittest.main()
