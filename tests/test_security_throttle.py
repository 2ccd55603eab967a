"""The sign-in throttle counts every try before the password is checked: a parallel burst on
PostgreSQL (and SQLite) checks at most five passwords, and the right one sent last is refused; an
unknown address does not share a bucket with everyone; a password change or reset ends the
user's other sessions; wrong current passwords are throttled and audited."""

from __future__ import annotations

import threading

import pytest

from contracts.adapters import audit
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import UserError
from contracts.services import throttle
from contracts.services.sessions import session_user, sign_in
from contracts.services.users import change_own_password, create_user, reset_password

PASSWORD = "the-right-password-1"


def _user(engine, name: str = "dana") -> None:
    create_user(UnitOfWork(engine), name, "Dana", f"{name}@x.example", PASSWORD, ["finance"], "t")


def _sign_in_reasons(engine, username: str) -> list[str]:
    with UnitOfWork(engine) as uow:
        return [
            (e.payload or {}).get("why", "ok")
            for e in audit.entries(uow.session, f"user:{username}")
            if e.kind in ("user.sign_in_failed", "user.signed_in")
        ]


def test_a_parallel_burst_checks_at_most_five_passwords(engine, monkeypatch):
    """50 wrong guesses at once from 50 threads (each its own connection), the right password
    sent last: five passwords are checked, every other try waits, the right one is refused."""
    _user(engine)
    checked: list[str] = []
    from contracts.services import sessions

    real = sessions.check_password

    def counting(password, password_hash):  # noqa: ANN001
        checked.append(password)
        return real(password, password_hash)

    monkeypatch.setattr(sessions, "check_password", counting)
    start = threading.Barrier(50)
    outcomes: list[str] = []

    def guess(i: int) -> None:
        start.wait()
        try:
            sign_in(UnitOfWork(engine), "dana", f"wrong-guess-{i:02d}", f"198.51.100.{i}")
            outcomes.append("signed in")
        except UserError as exc:
            outcomes.append("waiting" if "Too many" in str(exc) else "wrong")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 50
    assert len(checked) == throttle.FREE_TRIES, (len(checked), outcomes.count("waiting"))
    assert outcomes.count("wrong") == 5 and outcomes.count("waiting") == 45
    with pytest.raises(UserError, match="Too many"):
        sign_in(UnitOfWork(engine), "dana", PASSWORD, "198.51.100.200")
    reasons = _sign_in_reasons(engine, "dana")
    assert reasons.count("wrong credentials") == 5 and reasons.count("waiting") == 46


def test_failures_from_an_unknown_address_do_not_lock_out_other_users(engine):
    _user(engine)
    for i in range(8):
        with pytest.raises(UserError):
            sign_in(UnitOfWork(engine), f"made-up-{i}", "whatever-it-is", None)
    user, _ = sign_in(UnitOfWork(engine), "dana", PASSWORD, None)
    assert user.username == "dana"


def test_a_success_does_not_count_against_the_address(engine):
    _user(engine)
    for _ in range(8):
        sign_in(UnitOfWork(engine), "dana", PASSWORD, "203.0.113.9")


def test_a_password_change_ends_every_other_session(engine):
    _user(engine)
    _, phone = sign_in(UnitOfWork(engine), "dana", PASSWORD, "203.0.113.1")
    _, laptop = sign_in(UnitOfWork(engine), "dana", PASSWORD, "203.0.113.2")
    change_own_password(
        UnitOfWork(engine), "dana", PASSWORD, "a-new-password-22", keep_token=laptop
    )
    assert session_user(UnitOfWork(engine), laptop) is not None
    assert session_user(UnitOfWork(engine), phone) is None


def test_an_administrators_reset_ends_every_session(engine):
    _user(engine)
    _, token = sign_in(UnitOfWork(engine), "dana", PASSWORD, "203.0.113.1")
    reset_password(UnitOfWork(engine), "dana", "set-by-the-admin-1", actor="admin")
    assert session_user(UnitOfWork(engine), token) is None


def test_wrong_current_passwords_are_throttled_and_audited(engine):
    _user(engine)
    for _ in range(throttle.FREE_TRIES):
        with pytest.raises(UserError, match="not right"):
            change_own_password(UnitOfWork(engine), "dana", "not-it-at-all", "a-new-password-22")
    with pytest.raises(UserError, match="Too many"):
        change_own_password(UnitOfWork(engine), "dana", PASSWORD, "a-new-password-22")
    reasons = _sign_in_reasons(engine, "dana")
    assert reasons.count("wrong current password (password change)") == throttle.FREE_TRIES
    assert reasons.count("waiting (password change)") == 1
