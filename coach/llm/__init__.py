"""Chat backends: the ChatBackend protocol, the OpenAI-compatible and offline implementations."""
