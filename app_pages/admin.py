"""Admin: users and roles, workflow defaults, calendars and holidays, mail settings."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from contracts.adapters.mailer import SmtpConfig, deliver, outbox_counts
from contracts.errors import SettingsError
from contracts.services.invitations import public_base_url
from contracts.services.sessions import locked_accounts, unlock_sign_in
from contracts.services.settings import AUTH_METHODS, set_workflow_defaults, workflow_defaults
from contracts.services.users import (
    ROLES,
    create_user,
    list_users,
    reset_password,
    set_active,
    set_roles,
)
from flows.terms import register_uploaded_terms
from sla_engine.rulebook.calendar import holiday_list
from sla_engine.rulebook.terms import DAYS, load_terms
from ui.auth import require
from ui.errors import shown_errors
from ui.resources import engine, served_at, store, unit_of_work
from ui.text import plain

require("admin")
st.title("Administration")
actor = st.session_state.get("username") or "admin"
tab_users, tab_flow, tab_cal, tab_mail, tab_backup, tab_sso, tab_keep = st.tabs(
    [
        "Users and roles",
        "Workflow defaults",
        "Calendars and holidays",
        "Mail",
        "Backups",
        "Single sign-on",
        "Retention and privacy",
    ]
)

with tab_keep:
    from contracts.services import retention

    kept = retention.overrides(unit_of_work())
    st.caption(
        f"Signed contracts, their documents and audit entries are kept "
        f"{workflow_defaults(unit_of_work()).retention_years} years after the contract ends "
        "(Workflow defaults); a template's or a contract's own setting below wins. Legal holds "
        "(Audit page) block deletion whatever the setting; a purge leaves a record of what went."
    )

    def _lines(values: dict[str, int]) -> str:
        return "\n".join(f"{k} = {v}" for k, v in values.items())

    def _parse(text: str, what: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, years = line.partition("=")
            if not sep or not name.strip() or not years.strip().isdigit():
                raise SettingsError(f"{what}, line {n}: write NAME = YEARS, e.g. saas-support = 10")
            out[name.strip()] = int(years.strip())
        return out

    with st.form("retention_overrides"):
        per_template = st.text_area(
            "Years per template (NAME = YEARS)", _lines(kept.per_template), key="keep_templates"
        )
        per_contract = st.text_area(
            "Years per contract (ID = YEARS)", _lines(kept.per_contract), key="keep_contracts"
        )
        if st.form_submit_button("Save"):
            with shown_errors():
                retention.set_overrides(
                    unit_of_work(),
                    {
                        "per_template": _parse(per_template, "templates"),
                        "per_contract": _parse(per_contract, "contracts"),
                    },
                    actor,
                )
                st.success("Saved (recorded in the audit trail).")
    st.markdown("**Personal data from help desks**")
    st.caption(
        "Covenant keeps from an export or a connection only what a measurement needs: the ticket "
        "id, the customer key, the priority, the times and the statuses. Requester names, e-mail "
        "addresses, subjects and descriptions are read past and never stored (minimal by "
        "design; there is nothing to switch on). Who viewed or exported a contract's breach "
        "evidence or its signed document is in the audit trail."
    )

with tab_sso:
    from contracts.services.sso import set_sso_settings, sso_settings
    from ui.auth import sso_configured

    sso_now = sso_settings(unit_of_work())
    if sso_configured():
        st.success("An identity provider is configured ([auth] in .streamlit/secrets.toml).")
    else:
        st.info(
            "No identity provider is configured. Put its [auth] section (redirect_uri, "
            "cookie_secret, client_id, client_secret, server_metadata_url) in "
            ".streamlit/secrets.toml; the README shows Entra, Okta, Google and Keycloak."
        )
    with st.form("sso_settings"):
        claim = st.text_input(
            "Groups claim",
            value=sso_now.groups_claim,
            max_chars=100,
            key="sso_claim",
            help="The ID token claim that lists the person's groups (Entra, Okta, Keycloak: "
            "groups)",
        )
        mapping = st.text_area(
            "Groups to Covenant roles (one per line: group = role, role)",
            value="\n".join(f"{g} = {', '.join(r)}" for g, r in sso_now.group_roles.items()),
            key="sso_mapping",
            help="Roles: " + ", ".join(ROLES) + ". A person with no mapped group cannot sign in.",
        )
        local = st.checkbox(
            "Allow sign-in with Covenant passwords",
            value=sso_now.local_passwords,
            key="sso_local",
            help="Switch off once single sign-on works; `python -m contracts sso "
            "local-passwords on` switches it back from the server",
        )
        if st.form_submit_button("Save"):
            with shown_errors():
                pairs: dict[str, list[str]] = {}
                for n, line in enumerate(mapping.splitlines(), start=1):
                    if not line.strip():
                        continue
                    group, sep, roles_text = line.partition("=")
                    if not sep or not group.strip():
                        raise SettingsError(f"line {n}: write group = role, role")
                    pairs[group.strip()] = [r.strip() for r in roles_text.split(",") if r.strip()]
                set_sso_settings(
                    unit_of_work(),
                    {"groups_claim": claim.strip(), "group_roles": pairs, "local_passwords": local},
                    actor,
                )
                st.success("Saved (recorded in the audit trail).")

with tab_backup:
    from flows.backup import LAST_BACKUP_KEY

    with unit_of_work() as uow:
        last = uow.setting(LAST_BACKUP_KEY)
    if last is None:
        st.info(
            "No scheduled backup yet. The worker (started by make run) writes one a day when "
            "COVENANT_BACKUP_DIR names a folder (COVENANT_BACKUP_KEEP archives kept, default 7); "
            "`python -m flows backup OUT` writes one now, `python -m flows restore ARCHIVE` "
            "rebuilds an empty deployment from it."
        )
    else:
        (st.success if not str(last["verified"]).startswith("FAILED") else st.error)(
            f"Last backup {plain(last['at'])} UTC: {plain(last['path'])}, "
            f"{int(last['bytes']):,} bytes, {int(last['rows']):,} database rows; "
            f"read back: {plain(last['verified'])}; {int(last['kept'])} archive(s) kept."
        )

with tab_flow:
    d = workflow_defaults(unit_of_work())
    st.caption(
        "Used when legal sends a contract for signature (each envelope can still override them) "
        "and by "
        "retention. Out of the box: reminders every 48 hours until completed, sequential routing, "
        "e-mail "
        "link plus one-time code, 30 days to sign, records kept seven years. Every change is "
        "audited."
    )
    with st.form("workflow"):
        c1, c2 = st.columns(2)
        reminder = c1.number_input(
            "Remind unsigned signers every (hours)",
            min_value=1.0,
            max_value=720.0,
            value=float(d.reminder_hours),
            step=1.0,
            key="wf_reminder",
        )
        routing = c2.selectbox(
            "Routing",
            ["sequential", "parallel"],
            index=["sequential", "parallel"].index(d.routing),
            key="wf_routing",
            help="sequential: one signer after another; parallel: all at once",
        )
        auth = c1.selectbox(
            "Signer authentication",
            list(AUTH_METHODS),
            index=list(AUTH_METHODS).index(d.auth_method),
            format_func=AUTH_METHODS.get,
            key="wf_auth",
        )
        expires = c2.number_input(
            "Envelope expires after (days)",
            min_value=1,
            max_value=365,
            value=d.expires_days,
            key="wf_expires",
        )
        years = c1.number_input(
            "Retain contracts and documents (years after the end)",
            min_value=1,
            max_value=50,
            value=d.retention_years,
            key="wf_years",
        )
        if st.form_submit_button("Save workflow defaults"):
            with shown_errors():
                set_workflow_defaults(
                    unit_of_work(),
                    {
                        "reminder_hours": reminder,
                        "routing": routing,
                        "auth_method": auth,
                        "expires_days": int(expires),
                        "retention_years": int(years),
                    },
                    actor,
                )
                st.success("Workflow defaults saved.")

with tab_cal:
    s = store()
    terms = s.terms()
    st.caption(
        "Business calendars come from each contract's SLA terms (time zone, weekly hours, public "
        "holidays "
        "of a country or region, extra closed days). Register a terms document to add or replace a "
        "version."
    )
    up = st.file_uploader(
        "SLA terms document (JSON or YAML)", type=["json", "yaml", "yml"], key="terms_upload"
    )
    if up is not None and st.button("Register these terms", key="terms_register"):
        tmp = Path(tempfile.mkdtemp(prefix="covenant-terms-")) / Path(up.name).name
        tmp.write_bytes(up.getvalue())
        with shown_errors():
            added = register_uploaded_terms(
                s, unit_of_work(), load_terms(tmp), actor, up.name, up.getvalue()
            )
            shutil.rmtree(tmp.parent, ignore_errors=True)
            st.success("Registered: " + ", ".join(added))
            st.cache_data.clear()
            terms = s.terms()
    if not terms:
        st.info("No SLA terms registered yet.")
    else:
        pick = st.selectbox("Terms version", [t.terms_id for t in terms], key="cal_terms")
        t = next(x for x in terms if x.terms_id == pick)
        cal = t.calendar
        hol = cal.holidays
        st.markdown(
            f"**{t.contract_id}**, in force {t.effective_from} → {t.effective_to or 'open-ended'}; "
            f"time zone **{cal.timezone}**; public holidays: "
            + (
                f"{hol.country}{'-' + hol.subdivision if hol.subdivision else ''}"
                f"{' (observed days included)' if hol.observed else ''}"
                if hol
                else "none"
            )
        )
        week = pd.DataFrame(
            [
                {
                    "day": day,
                    "business hours": ", ".join(f"{a}–{b}" for a, b in cal.week.get(day, []))
                    or "closed",
                }
                for day in DAYS
            ]
        )
        st.dataframe(week, hide_index=True, key="cal_week")
        year = st.number_input(
            "Year",
            min_value=2000,
            max_value=2100,
            value=pd.Timestamp.now(tz=cal.timezone).year,
            key="cal_year",
        )
        with shown_errors():
            days = pd.DataFrame(holiday_list(cal, int(year)), columns=["date", "name", "source"])
            st.dataframe(days, hide_index=True, key="cal_holidays")
            st.caption(f"{len(days)} closed days in {int(year)}.")

with tab_mail:
    cfg = SmtpConfig.from_env()
    counts = outbox_counts(engine())
    c1, c2, c3 = st.columns(3)
    c1.metric("Waiting in the outbox", counts["waiting"])
    c2.metric("Sent", counts["sent"])
    c3.metric("Given up (10 failed attempts)", counts["given up"])
    base, source = public_base_url(served_at())
    st.markdown(f"**Signing links point to** `{base}` ({source}).")
    st.caption(
        "Set COVENANT_BASE_URL in the server's environment to the public address signers reach "
        "(reminders sent by cron have no browser address to go by)."
    )
    if cfg is None:
        st.warning(
            "No SMTP server configured: messages stay in the outbox. Set COVENANT_SMTP_HOST (and "
            "COVENANT_SMTP_PORT, COVENANT_SMTP_STARTTLS, COVENANT_SMTP_USER, "
            "COVENANT_SMTP_PASSWORD, "
            "COVENANT_MAIL_FROM) in the server's environment; secrets are never stored in the "
            "database."
        )
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {"setting": "server", "value": f"{cfg.host}:{cfg.port}"},
                    {"setting": "STARTTLS", "value": "yes" if cfg.starttls else "no"},
                    {"setting": "sender", "value": cfg.sender},
                    {"setting": "login", "value": cfg.user or "(none)"},
                    {"setting": "password", "value": "set" if cfg.password else "not set"},
                ]
            ),
            hide_index=True,
            key="smtp",
        )
        if st.button("Deliver waiting mail now", key="deliver"):
            sent, failed = deliver(engine(), cfg)
            (st.success if not failed else st.warning)(
                f"{sent} sent, {failed} failed (failures are in the audit trail and retried later)."
            )
    st.caption("The Outbox page lists the messages themselves (demo mode, on this machine only).")

with tab_users:
    users = list_users(unit_of_work())
    st.dataframe(pd.DataFrame(users), hide_index=True, key="users")
    if any(u["demo"] for u in users):
        st.warning("Demo users (password from the README) exist: disable them before real use.")
    with st.form("new_user"):
        st.subheader("Add a user")
        c1, c2 = st.columns(2)
        username = c1.text_input("Username", key="nu_username")
        name = c2.text_input("Full name", key="nu_name")
        email = c1.text_input("E-mail", key="nu_email")
        password = c2.text_input(
            "Initial password (at least 10 characters)", type="password", key="nu_password"
        )
        new_roles = st.multiselect("Roles", ROLES, key="nu_roles")
        if st.form_submit_button("Add user"):
            with shown_errors():
                create_user(unit_of_work(), username, name, email, password, new_roles, actor)
                st.success(f"User {plain(username)} added.")
                st.rerun()
    st.subheader("Change a user")
    who = st.selectbox("User", [u["username"] for u in users], key="edit_user")
    current = next(u for u in users if u["username"] == who)
    # every widget below is keyed by the user it edits: its state can never carry one user's
    # roles over to another when the choice above changes
    roles = st.multiselect(
        f"Roles of {plain(who)}", ROLES, default=current["roles"], key=f"edit_roles:{who}"
    )
    added = sorted(set(roles) - set(current["roles"]))
    removed = sorted(set(current["roles"]) - set(roles))
    if added or removed:
        st.caption(
            f"Saving changes {plain(who)}: "
            + "; ".join([*(f"adds {r}" for r in added), *(f"removes {r}" for r in removed)])
        )
    c1, c2 = st.columns(2)
    if c1.button(
        "Save roles", key=f"save_roles:{who}", disabled=not (added or removed) or not roles
    ):
        with shown_errors():
            set_roles(unit_of_work(), who, roles, actor)
            st.success(f"Roles of {plain(who)} saved: {', '.join(roles)}.")
    if not roles:
        st.caption("A user needs at least one role; disable the user instead.")
    if c2.button("Disable" if current["active"] else "Enable", key=f"toggle:{who}"):
        set_active(unit_of_work(), who, not current["active"], actor)
        st.rerun()
    locked = locked_accounts(unit_of_work())
    if locked:
        st.subheader("Sign-ins waiting after failed attempts")
        st.dataframe(pd.DataFrame(locked), hide_index=True, key="locked_accounts")
        which = st.selectbox(
            "Account or address", [a["account"] for a in locked], key="unlock_pick"
        )
        if st.button("Unlock sign-in", key="unlock_sign_in"):
            with shown_errors():
                unlock_sign_in(unit_of_work(), str(which), actor)
                st.success(f"{plain(which)} may sign in again (recorded in the audit trail).")
    with st.form("reset_password"):
        new_pw = st.text_input(
            f"New password for {plain(who)} (at least 10 characters; tell them to change it)",
            type="password",
            key=f"reset_pw:{who}",
        )
        if st.form_submit_button("Reset password"):
            with shown_errors():
                reset_password(unit_of_work(), who, new_pw, actor)
                st.success(f"Password of {plain(who)} reset (recorded in the audit trail).")
