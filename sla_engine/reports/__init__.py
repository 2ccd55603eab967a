"""Reports: what pages, the CLI and evidence read -- per-ticket figures, the monthly report,
credits, the at-risk list, a ticket's timeline, spreadsheet-safe exports. Reads never write.
"""
