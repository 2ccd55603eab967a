-- Named constants and the business-time lookup the rulebook (evaluate.sql) is written in.
-- Instants are UTC epoch microseconds.
CREATE OR REPLACE TEMP MACRO us_per_second() AS 1000000;
CREATE OR REPLACE TEMP MACRO us_per_minute() AS 60000000;
CREATE OR REPLACE TEMP MACRO us_per_hour() AS 3600000000;

-- the evaluation instant: nothing after it is known (SET VARIABLE as_of, bound by the caller)
CREATE OR REPLACE TEMP MACRO as_of() AS getvariable('as_of');
-- an instant recorded in the data, if it has happened by the evaluation instant
CREATE OR REPLACE TEMP MACRO known(t) AS CASE WHEN t <= getvariable('as_of') THEN t END;

-- Business time before t is read from t's UTC hour row k (1-based) of t_cal_l:
--   q[k]   = cum_seconds << 2 | kind   (kind 0 = closed hour, 1 = open all hour, 2 = partly open)
--   seg[k] = s1 << 18 | e1 << 12 | s2 << 6 | e2   (minutes 0..60; read only for partly open hours)
-- Bounds in minutes are exact: business windows start and end on whole local minutes and UTC offsets
-- are whole minutes (checked when the table is built). Most hours are closed or open all hour, so the
-- common case is one lookup, a shift and a modulo.
CREATE OR REPLACE TEMP MACRO hour_row(cal_base, t) AS cal_base + t // us_per_hour() + 1;
CREATE OR REPLACE TEMP MACRO open_part(o, p, shift_s, shift_e) AS
    greatest(0, least(o, ((p >> shift_e) & 63) * us_per_minute()) - ((p >> shift_s) & 63) * us_per_minute());
-- business microseconds before t, from its hour's q and seg values
CREATE OR REPLACE TEMP MACRO business_before_hour(t, q, s) AS
    (q >> 2) * us_per_second() + CASE q & 3 WHEN 0 THEN 0 WHEN 1 THEN t % us_per_hour()
        ELSE open_part(t % us_per_hour(), s, 18, 12) + open_part(t % us_per_hour(), s, 6, 0) END;
CREATE OR REPLACE TEMP MACRO business_before_at(t, q, k, seg) AS business_before_hour(t, q, seg[k]);
-- business microseconds before t in the calendar whose hours start at cal_base
CREATE OR REPLACE TEMP MACRO business_before(t, cal_base, q, seg) AS
    business_before_at(t, q[hour_row(cal_base, t)], hour_row(cal_base, t), seg);
-- the time a clock counts between a and b: business time on a business clock, all of it on 24x7
CREATE OR REPLACE TEMP MACRO clock_time(business, a, b, cal_base, q, seg) AS
    CASE WHEN business THEN business_before(b, cal_base, q, seg) - business_before(a, cal_base, q, seg)
         ELSE b - a END;
-- met: under the target, or equal to it where the terms say equal is met; an open metric is breached
-- only once it has passed the target (NULL = still running, not yet judged)
CREATE OR REPLACE TEMP MACRO verdict(done, elapsed, target, met_when_equal) AS
    CASE WHEN done THEN (elapsed < target OR (met_when_equal AND elapsed = target))
         WHEN elapsed > target OR (NOT met_when_equal AND elapsed = target) THEN false END;
