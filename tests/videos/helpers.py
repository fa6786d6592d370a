"""Client-side helpers of the upload protocol, as a phone app would drive it."""

import hashlib
from pathlib import Path
from typing import Any


def start_upload(client: Any, data: bytes, *, chunk_size: int = 4096, **fields: Any) -> Any:
    body = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "chunk_size": chunk_size, **fields}
    return client.post("/api/v1/uploads", body, format="json")


def put_chunk(client: Any, session: dict, data: bytes, index: int) -> Any:
    size = session["chunk_size"]
    return client.put(
        f"/api/v1/uploads/{session['id']}/chunks/{index}",
        data=data[index * size : (index + 1) * size],
        content_type="application/octet-stream",
    )


def upload_file(client: Any, path: Path, *, order: str = "forward", **fields: Any) -> Any:
    """Create a session, send every chunk (``reverse`` order too) and finalise."""
    data = path.read_bytes()
    session = start_upload(client, data, **fields).json()
    indexes = range(session["total_chunks"])
    for index in reversed(indexes) if order == "reverse" else indexes:
        assert put_chunk(client, session, data, index).status_code == 200
    return client.post(f"/api/v1/uploads/{session['id']}/finalise")
