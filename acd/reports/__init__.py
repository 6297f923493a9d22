"""Reports from the SQL contact records: operational figures per line, line code and interval,
and content (escalations per point with their quality ratings).  The figures are
``sla.service_level``'s, worked out over a :class:`sla.service_level.Tally` built from the
records, so a report agrees with the metrics and the demo summary for the same period.

Pure cores (``period``, ``operational``, ``content``, ``tables``, ``schedule``) compute rows;
the renderers (``render_csv``, ``render_html`` with ``svg``, ``render_xlsx``), the loader
(``load``), the runs store (``runs``) and the scheduler (``scheduler``) are the edges.
"""
