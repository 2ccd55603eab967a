-- cum(t): business microseconds before t, from the packed row of t's UTC hour (t_cal_l.p, 1-based):
--   p = cum_seconds << 24 | s1 << 18 | e1 << 12 | s2 << 6 | e2   (segment bounds in minutes 0..60)
-- one list lookup per instant instead of a join; bounds in minutes are exact because business windows
-- start and end on whole local minutes and UTC offsets are whole minutes.
CREATE OR REPLACE TEMP MACRO segp(o, p, shift_s, shift_e) AS
    greatest(0, least(o, ((p >> shift_e) & 63) * 60000000) - ((p >> shift_s) & 63) * 60000000);
CREATE OR REPLACE TEMP MACRO cump(t, p) AS
    (p >> 24) * 1000000 + segp(t % 3600000000, p, 18, 12) + segp(t % 3600000000, p, 6, 0);
