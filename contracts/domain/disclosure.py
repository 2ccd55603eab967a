"""The consumer disclosure each signer accepts before reviewing (ESIGN section 101(c)); versioned
and hashed."""

from __future__ import annotations

import hashlib

VERSION = "2026-11-1"
TEXT = """Consent to electronic records and signatures

You are asked to receive, review and sign this contract electronically. Before you agree, please note:
1. You may instead receive a paper copy and sign on paper: reply to the sender's invitation e-mail and ask.
   A paper copy is free of charge.
2. Your consent applies to this contract and to the records related to it (invitations, the signed copy,
   the certificate of completion).
3. You may withdraw your consent at any time before you sign, by declining to sign on the signing page;
   withdrawing does not affect the validity of records made before.
4. To access and keep these records you need a current web browser, an e-mail account and software that
   opens PDF files. The signed copy is sent to your e-mail address when everyone has signed; you may also
   ask the sender for it.
5. To update your contact details, tell the sender.
By selecting "I agree" you confirm that you can access electronic records in the form described and that
you consent to do business electronically.
"""
SHA256 = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
