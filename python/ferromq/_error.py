"""The one exception type of ferromq."""

from __future__ import annotations

__all__ = ["MQTTError"]


class MQTTError(Exception):
    """A failure reported by the ferromq engine.

    ``code`` is the documented error number (for example 500 for a refused CONNACK,
    502 for a bad topic name, 10061 for a refused TCP connection) and ``message`` is the
    engine's explanation, unchanged. ``str(err)`` shows both as ``"[code] message"``.
    """

    code: int
    message: str

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def __repr__(self) -> str:
        return f"MQTTError({self.code!r}, {self.message!r})"

    # Keeps pickling (e.g. across multiprocessing) working.
    def __reduce__(self) -> tuple[type[MQTTError], tuple[int, str]]:
        return (type(self), (self.code, self.message))
