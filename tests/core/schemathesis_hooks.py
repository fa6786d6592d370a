"""Loaded into the schemathesis process by tests/core/test_openapi_fuzz.py (config ``hooks``).

Its workers are threads, and Hypothesis parses lambdas' source with ``ast.parse`` to describe
strategies; CPython 3.11 before the fix of gh-106905 can fail two concurrent parses with
``SystemError: AST constructor recursion depth mismatch``. One lock around ``ast.parse`` keeps
that interpreter bug out of the run (the parses are rare and short).
"""

import ast
import threading
from typing import Any

_lock = threading.Lock()
_parse = ast.parse


def _serialised_parse(*args: Any, **kwargs: Any) -> Any:
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _serialised_parse
