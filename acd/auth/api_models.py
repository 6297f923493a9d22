"""The auth routes' request and response models (:mod:`acd.auth.routes`): the handlers
validate bodies with them and :mod:`acd.openapi` describes the API from them.  No model echoes
a password: a refusal names the field and the reason, never the value."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field, StrictBool

from acd.auth.model import Role, Scope
from acd.auth.store import MAX_AUDIT_LIMIT
from foundation.json_body import BodyModel


class LoginBody(BodyModel):
    error_id: ClassVar[str] = "invalid_login"

    username: str
    password: str = Field(json_schema_extra={"format": "password"})


class UserCreateBody(BodyModel):
    error_id: ClassVar[str] = "invalid_user"
    field_error_ids: ClassVar[dict[str, str]] = {"role": "invalid_role"}

    username: str
    password: str = Field(json_schema_extra={"format": "password"})
    role: Role
    agent_id: str | None = Field(None, description="an agent user's own agent")
    lines: list[str] = Field([], description="a supervisor's lines")


class UserUpdateBody(BodyModel):
    error_id: ClassVar[str] = "invalid_user"
    field_error_ids: ClassVar[dict[str, str]] = {"password": "invalid_password"}

    password: str | None = Field(None, json_schema_extra={"format": "password"})
    disabled: StrictBool | None = None


def _token_name(value: str) -> str:
    if not value.strip():
        raise ValueError("required: a name for the token")
    return value.strip()


class TokenCreateBody(BodyModel):
    error_id: ClassVar[str] = "invalid_token_name"
    field_error_ids: ClassVar[dict[str, str]] = {"scopes": "invalid_scopes"}

    name: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_token_name)]
    scopes: list[Scope] = Field(min_length=1)


class UserOut(BaseModel):
    username: str
    role: Role
    agent_id: str | None
    lines: list[str]
    disabled: bool


class LoginOut(UserOut):
    via: str
    csrf_token: str = Field(description="send it back as X-CSRF-Token on state changes")


class SessionOut(BaseModel):
    name: str
    via: str
    role: Role | None
    agent_id: str | None
    lines: list[str]
    scopes: list[str]
    csrf_token: str | None = None  # for a session


class LogoutOut(BaseModel):
    signed_out: str


class UserList(BaseModel):
    users: list[UserOut]


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[str]
    created_at: str
    revoked_at: str | None
    token: str | None = Field(None, description="the secret: in the answer to POST only")


class TokenList(BaseModel):
    tokens: list[TokenOut]


class AuditEntryOut(BaseModel):
    at: str
    actor: str
    role: str | None
    action: str
    target: str | None
    outcome: int
    remote: str | None
    lines: list[str]


class AuditList(BaseModel):
    entries: list[AuditEntryOut]


class AuditQuery(BaseModel):
    actor: str | None = None
    action: str | None = None
    line: str | None = None
    since: str | None = Field(None, json_schema_extra={"format": "date-time"})
    until: str | None = Field(None, json_schema_extra={"format": "date-time"})
    limit: int | None = Field(None, ge=1, le=MAX_AUDIT_LIMIT)
