"""API shapes for sign-in, accounts and API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from citycockpit.core.params import MAX_ID, Instant


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class MeRead(BaseModel):
    id: int | None
    username: str
    kind: str
    role: str
    permissions: list[str]
    department_id: int | None
    area_code: str | None
    must_change_password: bool = False
    csrf_token: str | None = Field(None, description="Send it as X-CSRF-Token on POST/PUT/PATCH/DELETE.")


class LoginOut(BaseModel):
    user: MeRead
    csrf_token: str
    must_change_password: bool
    expires_at: datetime


class ChangePasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class UserBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    area_code: str | None
    is_active: bool


class UserRead(UserBrief):
    must_change_password: bool
    locked_until: datetime | None
    created_at: datetime
    password_changed_at: datetime | None


class UserBriefPage(BaseModel):
    items: list[UserBrief]
    total: int
    offset: int
    limit: int


class UserPage(BaseModel):
    items: list[UserRead]
    total: int
    offset: int
    limit: int


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field("", max_length=100)
    password: str = Field(
        min_length=1, max_length=256, description="Initial password (strength rule applies)."
    )
    role: str = Field(description="admin, leader, supervisor, dispatcher, department, town, grid_worker")
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    area_code: str | None = Field(None, max_length=15)
    must_change_password: bool = True


class ResetPasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=256)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: str
    department_id: int | None
    area_code: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenPage(BaseModel):
    items: list[TokenRead]
    total: int


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(default_factory=list, max_length=50)
    expires_at: Instant | None = Field(None, description="When the token stops working, with a time zone")
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    area_code: str | None = Field(None, max_length=15)


class TokenCreated(BaseModel):
    token: TokenRead
    secret: str = Field(description="The token itself. Shown this once; only its hash is stored.")
