"""The admin console (管理后台): server-rendered pages under /admin/ on lawbot's HTTP server.
See docs/web.md for how it is put together and how to add a page."""
