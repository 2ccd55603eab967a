-- cum(t) inside one UTC hour row: business microseconds before t.
CREATE OR REPLACE TEMP MACRO cumv(t, cum, s1, e1, s2, e2) AS
    cum + greatest(0, least(t % 3600000000, e1) - s1) + greatest(0, least(t % 3600000000, e2) - s2);
-- dense calendar keys (ckey) fit a perfect hash table up to 2^20 hours (about 120 calendar-years)
SET perfect_ht_threshold = 20;
