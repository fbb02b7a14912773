"""The admin console (管理后台): server-rendered pages under /admin/ on lawbot's HTTP server.
See docs/web.md for how it is put together and how to add a page."""

import warnings

from aiohttp.web_exceptions import NotAppKeyWarning

# The console keeps request["actor"], request["deps"], request["csrf"] (the page contract in
# docs/web.md) as plain string keys; aiohttp would warn on every request.
warnings.filterwarnings("ignore", category=NotAppKeyWarning, module=r"bot\.web\.")
