"""Help-desk connectors: transport only. Each vendor module pulls the records its API's
documented incremental mechanism returns and hands them, in the vendor's own JSON shape, to the
same ingest a file upload uses (flows/ingest.py with the vendor's profile), so a connection and an
export of the same help desk produce the same figures. sync.py runs a connection: lease, pull,
ingest, then advance the cursor."""
