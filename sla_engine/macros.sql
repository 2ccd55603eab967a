-- cum(t): business microseconds before t, from t's UTC hour row k (1-based) of t_cal_l:
--   q[k]   = cum_seconds << 2 | kind   (kind 0 = closed hour, 1 = open all hour, 2 = partly open)
--   seg[k] = s1 << 18 | e1 << 12 | s2 << 6 | e2   (minutes 0..60; read only for partly open hours)
-- Bounds in minutes are exact: business windows start and end on whole local minutes and UTC offsets
-- are whole minutes (checked when the table is built). Most hours are closed or open all hour, so the
-- common case is one lookup, a shift and a modulo.
CREATE OR REPLACE TEMP MACRO segp(o, p, shift_s, shift_e) AS
    greatest(0, least(o, ((p >> shift_e) & 63) * 60000000) - ((p >> shift_s) & 63) * 60000000);
CREATE OR REPLACE TEMP MACRO cumq(t, q, k, seg) AS
    (q >> 2) * 1000000 + CASE q & 3 WHEN 0 THEN 0 WHEN 1 THEN t % 3600000000
        ELSE segp(t % 3600000000, seg[k], 18, 12) + segp(t % 3600000000, seg[k], 6, 0) END;
