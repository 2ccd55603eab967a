-- Text rules the validation applies in SQL, each written once. Variables: tz (the zone naive
-- times are read in, or NULL), naive_in_sql (whether DuckDB's time zone data knows tz).

-- Python's str.strip(): every Unicode space and the ASCII separators, not only ' ' as trim() does
CREATE OR REPLACE TEMP MACRO py_strip(s) AS
    regexp_replace(s, '^[\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f}\x{85}\p{Z}]+|[\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f}\x{85}\p{Z}]+$', '', 'g');

-- a cell that means "no value" in the exports we read (timeparse._EMPTY)
CREATE OR REPLACE TEMP MACRO blank_text(v) AS
    CASE WHEN v IS NULL THEN true
         -- longer than any marker and not padded: filled (the cheap answer for most cells)
         WHEN strlen(v) > 4 AND NOT starts_with(v, ' ') AND NOT ends_with(v, ' ') THEN false
         -- lower(trim(v)) IN ('', '?', 'null', 'none', 'nan', 'nat', 'n/a', '-'), written as a match:
         -- DuckDB plans IN (and list_contains) as a join over every row, outside the CASE's short cut
         ELSE regexp_full_match(v, ' *(|\?|null|none|nan|nat|n/a|-) *', 'i') END;

-- ISO 8601 with a date, hours and minutes, optional seconds and up to six decimals: the shapes read
-- here; every other text goes to the Python reader (timeparse.parse_instants) unchanged
CREATE OR REPLACE TEMP MACRO iso_aware(v) AS
    regexp_full_match(v, ' *\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}) *');
CREATE OR REPLACE TEMP MACRO iso_naive(v) AS
    regexp_full_match(v, ' *\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)? *');
CREATE OR REPLACE TEMP MACRO iso_text(v) AS
    substr(trim(v), 1, 10) || ' ' || regexp_replace(substr(trim(v), 12), 'Z$', '+00:00');
CREATE OR REPLACE TEMP MACRO aware_us(v) AS
    CASE WHEN length(v) = 20 AND substr(v, 11, 1) = 'T' AND substr(v, 20, 1) = 'Z'
         -- the commonest shape (2024-03-01T09:30:00Z) read directly
         THEN epoch_us(try_strptime(v, '%Y-%m-%dT%H:%M:%SZ'))
         ELSE epoch_us(try_strptime(iso_text(v), ['%Y-%m-%d %H:%M:%S%z', '%Y-%m-%d %H:%M:%S.%f%z', '%Y-%m-%d %H:%M%z'])) END;
CREATE OR REPLACE TEMP MACRO wall_us(v) AS
    epoch_us(try_strptime(iso_text(v), ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M']));

-- the zone's offset from UTC at instant u (microseconds); the session's TimeZone is UTC
CREATE OR REPLACE TEMP MACRO offset_at(u) AS
    epoch_us(timezone(getvariable('tz'), make_timestamp(u)::TIMESTAMPTZ)) - u;
-- a wall-clock time g of zone tz -> the instant: of the two offsets around g (a day before and a
-- day after), the ones that give back g; an hour that happens twice (autumn) takes its first
-- occurrence, an hour that never happens (spring) is NULL: as pandas' tz_localize(ambiguous=True,
-- nonexistent="NaT") reads it
CREATE OR REPLACE TEMP MACRO local_pick(g, a, b) AS
    CASE WHEN a + offset_at(a) = g AND b + offset_at(b) = g THEN least(a, b)
         WHEN a + offset_at(a) = g THEN a
         WHEN b + offset_at(b) = g THEN b END;
CREATE OR REPLACE TEMP MACRO local_us(g) AS
    local_pick(g, g - offset_at(g - 86400000000), g - offset_at(g + 86400000000));

-- for a text that is not iso_aware: whether SQL reads it (else Python does), and the instant it
-- reads (NULL: unparseable; a naive time with no zone is unparseable)
CREATE OR REPLACE TEMP MACRO sql_reads_naive(v) AS
    iso_naive(v) AND (getvariable('tz') IS NULL OR getvariable('naive_in_sql'));
CREATE OR REPLACE TEMP MACRO sql_instant_naive(v) AS
    CASE WHEN getvariable('tz') IS NULL THEN NULL ELSE local_us(wall_us(v)) END;

-- outside [1990-01-01, 2100-01-01) UTC: a typo or a placeholder (timeparse.implausible)
CREATE OR REPLACE TEMP MACRO implausible_us(u) AS
    u IS NOT NULL AND (u < 631152000000000 OR u >= 4102444800000000);
