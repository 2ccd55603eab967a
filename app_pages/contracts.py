"""Contracts and templates (legal): list, create from a published template, preview, send, follow,
download."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st
from streamlit_pdf_viewer import pdf_viewer

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.documents.extract import extract_terms
from contracts.domain.events import EnvelopeCompleted
from contracts.domain.lifecycle import SENDABLE, SIGNED_STATES, EnvelopeState
from contracts.errors import FieldsError, SettingsError
from contracts.services import completion, evidence_access, routing, signing
from contracts.services import contracts as contract_service
from contracts.services.settings import AUTH_METHODS, workflow_defaults
from flows import bus
from flows.measure import end_contract, measured, register_signed
from ui.auth import require
from ui.errors import shown_errors
from ui.fields_form import render as render_form
from ui.fields_form import to_json_ready
from ui.resources import engine, served_at, store
from ui.text import plain


def _summary(values: dict) -> None:
    """What will be created, at a glance: parties, signers and tiers as entered."""
    sla = values.get("sla") or {}
    with st.container(border=True):
        st.markdown("**Summary before saving**")
        parties = ", ".join(
            f"{plain(p.get('name') or '(no name)')} ({p.get('role')})"
            for p in values.get("parties") or []
        )
        signers = ", ".join(
            f"{plain(x.get('name') or '(no name)')} for the {x.get('party')}"
            for x in values.get("signers") or []
        )
        st.markdown(f"Parties: {parties or 'none'}  \nSigners: {signers or 'none'}")
        tiers = [
            {
                "Tier": k,
                "First response (min)": t.get("response_minutes"),
                "Resolution (min)": t.get("resolution_minutes"),
                "Clock": t.get("clock"),
                "Target (%)": t.get("target_pct"),
            }
            for k, t in (sla.get("tiers") or {}).items()
        ]
        if tiers:
            st.dataframe(pd.DataFrame(tiers), hide_index=True, key="summary_tiers")


require("contracts")
st.title("Contracts and templates")
eng = engine()
actor = st.session_state.get("username") or "legal"
# decline and expiry notices go to the sender's e-mail address (the users table), not the username
sender_email = st.session_state.get("email") or ""
flash = (
    st.empty()
)  # always there, so the tabs below keep their identity (and the open tab) across reruns
if (
    "flash" in st.session_state
):  # the outcome of the last action, shown once after the rerun that lists it
    flash.success(st.session_state.pop("flash"))
tab_list, tab_new, tab_send, tab_tpl, tab_extract = st.tabs(
    ["Contracts", "New contract", "Send for signature", "Templates", "Extract SLA terms"]
)

with UnitOfWork(eng) as uow:
    contracts = uow.repo.list_contracts()
    templates = uow.repo.list_templates()
    envelopes = {c.id: uow.envelopes.for_contract(c.id) for c in contracts}

with tab_list:
    if not contracts:
        st.info("No contracts yet. Create one in the next tab from a published template.")
    else:
        states = sorted({c.state for c in contracts})
        pick = st.multiselect("State", states, key="states", placeholder="All states") or states
        rows = [
            {
                "contract": c.id,
                "title": c.typed.title,
                "customer": c.typed.party("customer").name,
                "state": c.state,
                "template": f"{c.template_name} v{c.template_version}",
                "term": f"{c.typed.start_date} to {c.typed.end_date}",
                "renews": c.renewal_date(),
                "notice by": c.notice_deadline(),
            }
            for c in contracts
            if c.state in pick
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="contract_list")
        chosen = st.selectbox("Open", [r["contract"] for r in rows], key="open_contract")
        if chosen and next(c for c in contracts if c.id == chosen).state == "draft":
            with st.expander("Discard this draft"):
                why_d = st.text_input(
                    "Reason (recorded in the audit trail)", key=f"discard_why_{chosen}"
                )
                if st.button(
                    "Discard the draft", key=f"discard_{chosen}", disabled=not why_d.strip()
                ):
                    with shown_errors():
                        contract_service.transition(
                            UnitOfWork(eng), chosen, "discarded", actor=actor, reason=why_d
                        )
                        st.session_state["flash"] = f"{chosen} is discarded (kept, audited)."
                        st.rerun()
        if chosen and next(c for c in contracts if c.id == chosen).state in SIGNED_STATES:
            if measured(store(), UnitOfWork(eng), chosen):
                st.success(
                    "Measured: the SLA engine uses exactly the terms of the sealed document."
                )
            else:
                st.warning(
                    "Signed, but the SLA engine does not measure these terms yet (the registration "
                    "failed or the terms changed; see the Audit page)."
                )
                if st.button("Register the signed terms now", key=f"register_{chosen}"):
                    with shown_errors():
                        register_signed(store(), UnitOfWork(eng), chosen, actor)
                        st.session_state["flash"] = f"The signed terms of {chosen} are measured."
                        st.rerun()
            if next(c for c in contracts if c.id == chosen).state == "signed":
                with st.expander("End this contract (terminate or expire)"):
                    how = st.radio(
                        "How", ["terminated", "expired"], key=f"end_how_{chosen}", horizontal=True
                    )
                    why = st.text_input(
                        "Reason (recorded in the audit trail)", key=f"end_why_{chosen}"
                    )
                    if st.button(
                        "End the contract today", key=f"end_{chosen}", disabled=not why.strip()
                    ):
                        with shown_errors():
                            end_contract(store(), UnitOfWork(eng), chosen, how, actor, why)
                            st.session_state["flash"] = (
                                f"{chosen} is {how}; its terms are measured up to yesterday."
                            )
                            st.rerun()
        if chosen:
            for env in envelopes.get(chosen, []):
                st.markdown(f"**Envelope {env.id}** — {env.status}")
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                "signer": s.name,
                                "email": s.email,
                                "role": s.role,
                                "group": s.group,
                                "status": s.status,
                                "viewed": s.viewed_at,
                                "signed": s.signed_at,
                                "last invited or reminded": s.last_reminded_at or s.invited_at,
                                "reminders": s.reminders,
                            }
                            for s in env.signers
                        ]
                    ),
                    hide_index=True,
                    key=f"signers_{env.id}",
                )
                if env.status == EnvelopeState.COMPLETED:
                    with UnitOfWork(eng) as uow:
                        final = bytes(uow.envelopes.document(env.id, "final").data)
                    st.download_button(
                        "Signed PDF with certificate",
                        final,
                        f"{chosen}-signed.pdf",
                        "application/pdf",
                        key=f"dl_{env.id}",
                        on_click=evidence_access.record,
                        args=(
                            UnitOfWork(eng),
                            actor,
                            chosen,
                            f"signed document of envelope {env.id}",
                            "sealed pdf",
                        ),
                    )
                for s in env.signers:
                    if env.status == EnvelopeState.SENT and s.code_locked:
                        st.warning(
                            f"{plain(s.name)} is locked after {s.code_tries} wrong signing codes."
                        )
                        if st.button(f"Unlock {plain(s.name)}", key=f"unlock_{s.id}"):
                            with shown_errors():
                                signing.unlock_signer(UnitOfWork(eng), env.id, s.id, actor)
                                st.session_state["flash"] = f"{s.name} can try codes again."
                                st.rerun()
                pending = [x for x in env.signers if x.status == "invited"]
                if env.status == EnvelopeState.SENT and pending:
                    who = st.selectbox(
                        "Signer to chase",
                        [x.id for x in pending],
                        format_func=lambda i, e=env: next(
                            f"{x.name} <{x.email}>" for x in e.signers if x.id == i
                        ),
                        key=f"chase_{env.id}",
                    )
                    r1, r2 = st.columns(2)
                    if r1.button("Resend the invitation", key=f"resend_{env.id}_{who}"):
                        with shown_errors():
                            signing.resend(UnitOfWork(eng), env.id, who, actor, served_at())
                            st.session_state["flash"] = (
                                "A new link is on its way by e-mail; the old one no longer works."
                            )
                            st.rerun()
                    if env.auth_method in signing.COPYABLE_AUTH:
                        if r2.button("New link to copy", key=f"copy_{env.id}_{who}"):
                            with shown_errors():
                                url = signing.resend(
                                    UnitOfWork(eng), env.id, who, actor, served_at(), to_copy=True
                                )
                                st.code(url or "", language=None)
                                st.caption(
                                    "Pass it on yourself (chat, phone): the signer still proves "
                                    "who they are with a one-time code. The e-mailed copy and "
                                    "this one are the same new link; older links stopped."
                                )
                    else:
                        r2.caption(
                            "This envelope is signed with the e-mailed link alone, so the link "
                            "is never shown here: resend it by e-mail."
                        )
                if env.status == EnvelopeState.SENT and env.current_group() is None:
                    st.warning(
                        "Everyone has signed, but sealing failed (see the Audit page for the "
                        "reason). The signatures are kept; retry once the cause is fixed."
                    )
                    if st.button("Retry sealing", key=f"retry_{env.id}"):
                        with shown_errors():
                            completion.complete(UnitOfWork(eng), env.id)
                            bus.handle(
                                EnvelopeCompleted(env.id, env.contract_id),
                                store(),
                                UnitOfWork(eng),
                                actor,
                            )
                            st.session_state["flash"] = f"Envelope {env.id} sealed and measured."
                            st.rerun()
                if env.status == EnvelopeState.SENT:
                    reason = st.text_input("Void reason", key=f"void_reason_{env.id}")
                    if st.button(
                        "Void envelope", key=f"void_{env.id}", disabled=not reason.strip()
                    ):
                        with shown_errors():
                            signing.void(UnitOfWork(eng), env.id, reason, actor)
                            st.rerun()
            if st.toggle("Preview the PDF here", key="preview"):
                pdf = contract_service.contract_pdf(UnitOfWork(eng), chosen)
                st.download_button(
                    "Download the PDF", pdf, f"{chosen}.pdf", "application/pdf", key="preview_dl"
                )
                pdf_viewer(pdf, width="100%", height=700, key=f"pdf_{chosen}")

with tab_new:
    published = [f"{t.name}@{v.number}" for t in templates for v in t.versions if v.frozen]
    if not published:
        st.info("No published template yet: publish one in the Templates tab.")
    else:
        from contracts.documents.starters import STARTERS
        from contracts.domain.fields import ContractFields

        editable = [c for c in contracts if c.state == "draft"]
        drafts = {f"Edit draft {c.id}: {c.typed.title}": c for c in editable}
        start = st.selectbox(
            "Start from",
            ["A new contract", *drafts],
            key="new_start",
            help="A draft can be changed until it is sent; every change is audited.",
        )
        editing = drafts.get(start)
        if editing is not None:
            ref = f"{editing.template_name}@{editing.template_version}"
            st.caption(f"Template version {ref} (a draft keeps the version it was created from).")
            example = editing.fields
        else:
            ref = st.selectbox("Template version", published, key="new_tpl")
            example_path = STARTERS / "examples" / f"{ref.split('@')[0]}.json"
            example = json.loads(example_path.read_text()) if example_path.exists() else {}
        form_prefix = f"ff.edit.{editing.id}" if editing is not None else f"ff.{ref}"
        problems: dict[str, str] = dict(st.session_state.get("new_problems", {}))
        mode = st.radio(
            "Enter the fields",
            ["Form", "JSON"],
            horizontal=True,
            key="new_mode",
            help="The form is generated from the template's typed fields; "
            "JSON takes the same values.",
        )
        values = None
        if mode == "Form":
            st.caption(
                "Prefilled from the template's example: change what differs. Problems appear under "
                "their field."
            )
            values = to_json_ready(
                render_form(ContractFields, example, problems, prefix=form_prefix)
            )
        else:
            values_text = st.text_area(
                "Fields (JSON)", value=json.dumps(example, indent=1), height=300, key="new_fields"
            )
        if problems:
            st.error("Some fields are missing or invalid:")
            st.dataframe(
                pd.DataFrame(list(problems.items()), columns=["field", "problem"]),
                hide_index=True,
                key="problems",
            )
        st.markdown(
            "**Operations** (not part of the signed text; support managers can change them)"
        )
        o1, o2, o3 = st.columns(3)
        number = o1.text_input(
            "Contract number (optional)",
            key="new_number",
            max_chars=40,
            help="Letters, digits, '.', '_' or '-'; generated when empty",
        )
        keys_text = o2.text_area(
            "Customer keys in the help desk's exports (one per line)",
            key="new_keys",
            help="e.g. the Zendesk organization, ServiceNow company, JSM organization or "
            "Freshdesk company of this customer: their tickets are measured against this contract",
        )
        labels_text = o3.text_area(
            "Help-desk priority labels (one per line: label = tier)",
            key="new_labels",
            help="e.g. 1 - Critical = P1",
        )
        if values is not None:
            _summary(values)
        if editing is not None:
            if st.button("Save the draft", type="primary", key="save_draft"):
                with shown_errors():
                    try:
                        contract_service.edit_draft(
                            UnitOfWork(eng), editing.id, values or {}, actor
                        )
                        st.session_state.pop("new_problems", None)
                        st.session_state["flash"] = f"Saved {editing.id} (draft)."
                        st.rerun()
                    except FieldsError as exc:
                        st.session_state["new_problems"] = dict(exc.problems)
                        st.rerun()
        elif st.button("Create draft contract", type="primary", key="create"):
            with shown_errors():
                try:
                    if values is None:
                        values = json.loads(values_text)
                    labels = {}
                    for line in labels_text.splitlines():
                        if line.strip():
                            label, sep, tier = line.rpartition("=")
                            if not sep or not label.strip() or not tier.strip():
                                raise SettingsError(
                                    f"priority label line {line!r}: write label = tier"
                                )
                            labels[label.strip()] = tier.strip()
                    tiers = set((values.get("sla") or {}).get("tiers") or {})
                    unknown = sorted(set(labels.values()) - tiers)
                    if unknown:
                        raise SettingsError(
                            f"priority labels map to {', '.join(unknown)}, which this contract's "
                            f"SLA does not have (its tiers: {', '.join(sorted(tiers))})"
                        )
                    c = contract_service.create_contract(
                        UnitOfWork(eng),
                        ref,
                        values,
                        actor=actor,
                        contract_id=number.strip() or None,
                    )
                    keys = [k.strip() for k in keys_text.splitlines() if k.strip()]
                    if keys or labels:
                        routing.update(UnitOfWork(eng), c.id, actor, add_keys=keys, labels=labels)
                    st.session_state.pop("new_problems", None)
                    st.session_state["flash"] = (
                        f"Created {c.id} (draft) from {ref}. Preview it in the Contracts "
                        "tab, send it from the Send for signature tab."
                    )
                    st.rerun()  # every tab lists the new draft
                except json.JSONDecodeError as exc:
                    st.error(
                        f"The fields are not valid JSON: line {exc.lineno}, column {exc.colno}: "
                        f"{exc.msg}"
                    )
                except FieldsError as exc:
                    st.session_state["new_problems"] = dict(exc.problems)
                    st.rerun()

with tab_send:
    drafts = [c for c in contracts if c.state in SENDABLE]
    if not drafts:
        st.info("No draft contract to send.")
    else:
        cid = st.selectbox("Contract", [c.id for c in drafts], key="send_contract")
        c = next(x for x in drafts if x.id == cid)
        wf = workflow_defaults(
            UnitOfWork(eng)
        )  # the Admin page's defaults; this envelope may override them
        default_signers = pd.DataFrame(
            [
                {
                    "name": s.name,
                    "email": s.email,
                    "role": s.title,
                    "group": i + 1 if wf.routing == "sequential" else 1,
                }
                for i, s in enumerate(c.typed.signers)
            ]
        )
        st.caption(
            f"Signers: the same group signs in parallel; groups sign in order (default routing: "
            f"{wf.routing})."
        )
        table = st.data_editor(default_signers, num_rows="dynamic", key="send_signers")
        auth = st.selectbox(
            "Authentication",
            list(AUTH_METHODS),
            index=list(AUTH_METHODS).index(wf.auth_method),
            key="send_auth",
            format_func=AUTH_METHODS.get,
        )
        reminder = st.number_input(
            "Remind every (hours)",
            min_value=1.0,
            value=float(wf.reminder_hours),
            key="send_reminder",
        )
        cc = st.text_input("Copy recipients (e-mails, comma separated)", key="send_cc")
        if st.button("Send for signature", type="primary", key="send"):
            with shown_errors():
                env = signing.send_for_signature(
                    UnitOfWork(eng),
                    cid,
                    table.to_dict("records"),
                    sender_email,
                    auth,
                    float(reminder),
                    cc=[
                        {"name": e.strip(), "email": e.strip()} for e in cc.split(",") if e.strip()
                    ],
                    base_url=served_at(),
                )
                st.session_state["flash"] = (
                    f"Sent: envelope {env}. The first signers' invitations go out by e-mail; "
                    "follow them, resend or copy a link in the Contracts tab."
                )
                st.rerun()  # the Contracts tab shows the envelope and each signer's status

with tab_tpl:
    for t in templates:
        with st.expander(
            f"{t.title} ({t.name}): " + ", ".join(f"v{v.number} {v.status}" for v in t.versions)
        ):
            st.code(t.latest.text, language="markdown")
            if len(t.versions) > 1:
                a, b = st.columns(2)
                va = a.selectbox("From", [v.number for v in t.versions], key=f"da_{t.name}")
                vb = b.selectbox(
                    "To",
                    [v.number for v in t.versions],
                    index=len(t.versions) - 1,
                    key=f"db_{t.name}",
                )
                st.code(t.diff(va, vb), language="diff")

with tab_extract:
    up = st.file_uploader(
        "A contract PDF (also one signed in another product)", type=["pdf"], key="extract_pdf"
    )
    if up is not None:
        with shown_errors():
            terms = extract_terms(up.getvalue(), up.name)
            st.success(
                f"SLA terms of {plain(terms.contract_id)}, in force from {terms.effective_from}"
            )
            st.json(terms.model_dump(mode="json"))
