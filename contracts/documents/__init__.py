"""Documents: rendering clause text, the contract PDF and its form fields, the certificate of
completion."""
