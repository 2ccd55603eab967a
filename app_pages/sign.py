"""Embedded signing page, reached as /sign?token=...: no dashboard login, phone-sized, one envelope
only.

It reads its widgets, calls contracts.signing, renders the result. The token identifies the signer;
the
page shows nothing but that signer's own envelope.
"""

from __future__ import annotations

import html

import streamlit as st

from contracts.adapters.mailer import SmtpConfig, deliver
from contracts.domain import disclosure
from contracts.domain.events import EnvelopeCompleted
from contracts.domain.lifecycle import EnvelopeState, SignerStatus, SignResult
from contracts.errors import InvalidToken
from contracts.services import signing
from flows import bus
from ui import reflow
from ui.errors import shown_errors
from ui.resources import engine, served_at, store, unit_of_work
from ui.text import plain

# a signer's link opens this page and nothing else: no navigation to the rest of the app
st.markdown(
    "<style>[data-testid='stSidebarNav'],[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl']"
    "{display:none}</style>",
    unsafe_allow_html=True,
)


def client() -> tuple[str | None, str | None]:
    """Where the server sees the signer come from (audited with every action)."""
    ip = getattr(st.context, "ip_address", None)
    ua = st.context.headers.get("User-Agent") if st.context.headers else None
    return (ip if isinstance(ip, str) else None), (ua if isinstance(ua, str) else None)


def png_data_url(image_data) -> str:
    """The drawn signature (RGBA array from the canvas) as a PNG data URL for the final PDF."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image_data.astype("uint8"), "RGBA").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def send_mail_now() -> None:
    """Codes should arrive at once when SMTP is configured; otherwise they wait in the outbox."""
    if SmtpConfig.from_env() is not None:
        deliver(engine())


token = st.query_params.get("token")
st.title("Sign a contract")
if not token:
    st.info(
        "This page opens from the link in your invitation e-mail. Use that link to review and sign."
    )
    st.stop()


def proof() -> str | None:
    """What verifying the code gave this browser session; another browser must verify again."""
    return st.session_state.get("code_proof")


ip, ua = client()
with shown_errors(stop=True):
    try:
        if st.session_state.get("viewed_token") != token:
            view = signing.open_link(unit_of_work(), token, ip, ua, proof())
            st.session_state["viewed_token"] = token
        else:
            view = (
                signing.open_link(unit_of_work(), token, ip, ua, proof())
                if st.session_state.get("refresh")
                else st.session_state["view"]
            )
        st.session_state["view"] = view
        st.session_state["refresh"] = False
    except InvalidToken as exc:
        st.error(f"{plain(exc)}. If you expected to sign, ask the sender to send you a new link.")
        st.stop()


def refresh() -> None:
    st.session_state["refresh"] = True
    st.rerun()


st.subheader(plain(view.contract_title), anchor=False)
st.caption(
    f"Envelope {view.envelope_id} · signing as **{plain(view.signer_name)}** "
    f"({plain(view.signer_email)})"
)

if "signed_flash" in st.session_state:
    st.success(st.session_state.pop("signed_flash"))
if view.envelope_status == EnvelopeState.COMPLETED:
    st.success(
        "Everyone has signed. Here is the sealed contract with its certificate of completion."
    )
    st.download_button(
        "Download the signed contract (PDF)",
        view.document,
        f"{view.envelope_id}-signed.pdf",
        "application/pdf",
        key="signed_copy",
        width="stretch",
    )
    st.stop()
if view.signer_status == SignerStatus.SIGNED:
    st.success(
        "You have signed. When everyone has signed you will receive the sealed copy by e-mail."
    )
    st.stop()
if not view.my_turn:
    st.info(
        "It is not your turn yet: waiting for "
        + (plain(", ".join(view.waiting_for)) or "the other signers")
        + ". You will get an e-mail when it is."
    )
    st.stop()

step_code = view.needs_code
if step_code:
    st.markdown("#### 1. Confirm it is you")
    if view.code_locked:
        st.error(
            "Too many wrong codes. For your security this link is locked; ask the sender to resend "
            "it."
        )
        st.stop()
    channel = "text message" if view.auth_method == "sms_code" else "e-mail"
    if st.button(f"Send me a one-time code by {channel}", key="send_code"):
        with shown_errors():
            signing.request_code(unit_of_work(), token)
            send_mail_now()
            st.session_state["code_sent"] = True
    if st.session_state.get("code_sent"):
        st.caption(f"A 6-digit code was sent to you by {channel}. It is valid for 10 minutes.")
    with st.form("code_form"):
        code = st.text_input("One-time code", max_chars=6, key="code")
        if st.form_submit_button("Verify code"):
            with shown_errors():
                verified = signing.verify_code(unit_of_work(), token, code, ip, ua)
                if verified:
                    st.session_state["code_proof"] = verified  # this browser session only
                    refresh()
                else:
                    st.error(
                        "That code is not right or has expired. Try again, or send a new code."
                    )
    st.stop()

if not view.consent_given:
    st.markdown("#### Consent to electronic records and signatures")
    reflow.show(disclosure.TEXT)
    st.caption(f"Disclosure version {disclosure.VERSION}")
    agree = st.checkbox("I agree to receive and sign this contract electronically", key="agree")
    if st.button("Continue", key="consent", disabled=not agree):
        with shown_errors():
            signing.give_consent(unit_of_work(), token, ip, ua)
            refresh()
    st.stop()

st.markdown("#### Review the contract")
size = st.segmented_control(
    "Page size",
    ["Fit the screen", "100 %", "150 %"],
    default="Fit the screen",
    key="pdf_zoom",
    help="Larger sizes scroll sideways; on a phone, the text below reads best.",
)
try:
    from streamlit_pdf_viewer import pdf_viewer

    pdf_viewer(
        view.document,
        width="100%",
        height=600,
        key="contract_pdf",
        zoom_level={"100 %": 1.0, "150 %": 1.5}.get(size or "", "auto"),
        resolution_boost=2,
    )
except ImportError:
    st.warning("The in-page viewer is not installed; download the contract to read it.")
if view.clauses:
    with st.expander("Read the clauses as text (fits a phone screen; the PDF is what you sign)"):
        reflow.show(view.clauses)
st.download_button(
    "Download the contract (PDF)",
    view.document,
    file_name=f"{view.envelope_id}.pdf",
    mime="application/pdf",
    key="download",
)

st.markdown("#### Adopt your signature")
style = st.radio("Signature", ["Type my name", "Draw it"], horizontal=True, key="sig_style")
kind, value = "typed", ""
if style == "Type my name":
    value = st.text_input("Type your full name", value="", key="typed_name").strip()
    if value:
        st.markdown(
            '<div style=\'font-family:"Brush Script MT","Segoe Script",cursive;font-size:2.2rem;'
            "border-bottom:1px solid #999;padding:0 .3rem'>" + html.escape(value) + "</div>",
            unsafe_allow_html=True,
        )
else:
    from streamlit_drawable_canvas import st_canvas

    st.caption("Sign in the box below with your finger, a pen or the mouse.")
    strokes = st.session_state.setdefault("sig_canvas_n", 0)
    drawing = st_canvas(
        stroke_width=3,
        stroke_color="#1a2b4c",
        background_color="#ffffff",
        height=150,
        width=340,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"sig_canvas_{strokes}",  # a new key is a clean pad: Clear below
    )
    if st.button("Clear", key="sig_clear", icon=":material/ink_eraser:"):
        st.session_state["sig_canvas_n"] = strokes + 1
        st.rerun()
    if (
        drawing is not None
        and drawing.image_data is not None
        and drawing.json_data
        and drawing.json_data.get("objects")
    ):
        kind, value = "drawn", png_data_url(drawing.image_data)
if st.button(
    "I agree and sign this contract",
    type="primary",
    key="sign",
    disabled=not value,
    width="stretch",
):
    with shown_errors():
        result = signing.sign(
            unit_of_work(), token, kind, value, ip, ua, base_url=served_at(), proof=proof()
        )
        send_mail_now()
        st.session_state["refresh"] = True
        if result == SignResult.COMPLETED:  # signed -> measured, in the same use case
            with shown_errors(suffix=" The contract is signed; an administrator can retry."):
                bus.handle(
                    EnvelopeCompleted(view.envelope_id, view.contract_id),
                    store(),
                    unit_of_work(),
                    "signing",
                )
        st.session_state["signed_flash"] = "Signed. " + (
            "Everyone has signed: the sealed contract is on its way to you by e-mail."
            if result == SignResult.COMPLETED
            else "The next signer has been invited."
        )
        refresh()  # the page shows its finished state: no sign button left

with st.expander("Decline to sign"):
    reason = st.text_area("Why do you decline?", key="decline_reason")
    if st.button("Decline", key="decline", disabled=not reason.strip()):
        with shown_errors():
            signing.decline(unit_of_work(), token, reason.strip(), ip, ua)
            send_mail_now()
            st.warning(
                "You declined. The sender has been told; this envelope is closed for everyone."
            )
            st.stop()
