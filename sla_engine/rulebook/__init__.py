"""The rulebook: the SLA terms document, business calendars and time, and the SQL that judges
every ticket (evaluate.sql with rulebook_history.sql; macros.sql) -- each rule written once.
"""
