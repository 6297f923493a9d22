"""The agents' and supervisors' workspace in the browser, served by the engine itself: a login
page, the agent page and the supervisor page, server-rendered from small HTML templates in the
user's language (Dutch by default), with plain JavaScript in ``static/`` that calls the JSON API
and listens to ``/api/events``.  Every asset ships in the package: no CDN, no build step."""

from acd.web.pages import add_pages

__all__ = ["add_pages"]
