"""The base of the JSON API's answer models (the OpenAPI's response schemas).

An answer states exactly what a route returns: a key the model does not name is an error (a 500 in
the tests that read the route), not a field silently dropped from the wire. Routes whose answers
leave keys out (e.g. a message without steps) set `response_model_exclude_unset=True`, so an
absent key stays absent rather than becoming a null.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
