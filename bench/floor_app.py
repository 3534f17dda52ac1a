"""The floor of the cold-import benchmark: the least a FastAPI + mangum + boto3 Lambda can be.

One route that answers Discord's PING without checking anything, a DynamoDB client made at
init as Lambda apps do, and mangum in front. The interactions function does everything this
does and more (signature check, settings, the store adapter, every route); the quality bar is
that all of that costs at most 15 % on a cold start.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from fastapi import FastAPI, Request
from mangum import Mangum

dynamodb = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION", "us-east-1"))
app = FastAPI(docs_url=None, redoc_url=None)


@app.post("/interactions")
async def interactions(request: Request) -> dict[str, Any]:
    payload = await request.json()
    return {"type": 1} if payload.get("type") == 1 else {"type": 4, "data": {"content": "hi"}}


handler = Mangum(app, lifespan="off")
