"""Every query of the accounts domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ontolabel.accounts.tables import Account, ApiToken, SignInSession


def get_account(session: Session, user_id: int) -> Account | None:
    return session.get(Account, user_id)


def account_named(session: Session, name: str) -> Account | None:
    return session.scalars(select(Account).where(Account.name == name)).first()


def list_accounts(session: Session, *, offset: int, limit: int) -> tuple[Sequence[Account], int]:
    total = session.scalar(select(func.count()).select_from(Account)) or 0
    items = session.scalars(select(Account).order_by(Account.name).offset(offset).limit(limit))
    return items.all(), total


def active_admin_count(session: Session) -> int:
    query = select(func.count()).where(Account.role == "admin", Account.active.is_(True))
    return session.scalar(query.select_from(Account)) or 0


def add(session: Session, row: Account | ApiToken | SignInSession) -> None:
    session.add(row)
    session.flush()


def get_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def token_with_account(session: Session, token_hash: str) -> tuple[ApiToken, Account] | None:
    """The unrevoked token of this hash and its active account."""
    query = (
        select(ApiToken, Account)
        .join(Account, Account.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            Account.active.is_(True),
        )
    )
    row = session.execute(query).first()
    return (row[0], row[1]) if row else None


def tokens_of(session: Session, user_id: int) -> Sequence[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return session.scalars(query).all()


def session_with_account(
    session: Session, session_hash: str, now: datetime
) -> tuple[SignInSession, Account] | None:
    """The unexpired sign-in of this hash and its active account."""
    query = (
        select(SignInSession, Account)
        .join(Account, Account.id == SignInSession.user_id)
        .where(
            SignInSession.session_hash == session_hash,
            SignInSession.expires_at > now,
            Account.active.is_(True),
        )
    )
    row = session.execute(query).first()
    return (row[0], row[1]) if row else None


def delete_session(session: Session, session_hash: str) -> None:
    session.execute(delete(SignInSession).where(SignInSession.session_hash == session_hash))


def delete_sessions_of(session: Session, user_id: int) -> None:
    session.execute(delete(SignInSession).where(SignInSession.user_id == user_id))


def delete_expired_sessions(session: Session, now: datetime) -> None:
    session.execute(delete(SignInSession).where(SignInSession.expires_at <= now))
