"""HTTP routes under `/api/v1/credits`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/credits", tags=["credits"])
