"""Reports from the SQL contact records: operational figures per line, line code and interval,
and content (escalations per point with their quality ratings).  The figures are
``sla.service_level``'s, worked out over a :class:`sla.service_level.Tally` built from the
records, so a report agrees with the metrics and the demo summary for the same period.

Pure cores (:mod:`acd.reports.period`, :mod:`acd.reports.operational`, :mod:`acd.reports.content`) compute
rows; the renderers (:mod:`acd.reports.render`) and the loaders (:mod:`acd.reports.load`) are the edges.
"""
