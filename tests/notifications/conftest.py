from typing import Any

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def many_users(db: Any) -> Any:
    def make(n: int, prefix: str = "fan") -> list[int]:
        user_model = get_user_model()
        user_model.objects.bulk_create([user_model(username=f"{prefix}{i:04d}") for i in range(n)])
        return list(
            user_model.objects.filter(username__startswith=prefix).order_by("username").values_list("pk", flat=True)
        )

    return make
